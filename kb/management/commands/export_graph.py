"""Export the knowledge base: the interchange JSON (re-importable) or a graph for other tools."""

import json
from pathlib import Path

from django.core.management.base import CommandError

from kb import graph as kb_graph
from kb import io
from kb.interchange import Interchange
from kb.management.commands._base import KnowledgeBaseCommand

FORMATS = ["json", *io.GRAPH_FORMATS, "schema"]


class Command(KnowledgeBaseCommand):
    help = "Write the knowledge base as JSON (interchange format), GraphML, DOT or Mermaid."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        parser.add_argument(
            "--root", help="Export only the neighbourhood of this concept (graph formats)."
        )
        parser.add_argument("--depth", type=int, default=2, help="Hops around --root.")

    def handle(self, *args, format: str, output: str | None, root: str | None, depth: int, **opts):
        if root and format in ("json", "schema"):
            raise CommandError("--root: only the graph formats (graphml, dot, mermaid) take a root")
        if depth < 0:
            raise CommandError("--depth: must be 0 or more")
        if format == "json":
            text = io.export_json()
        elif format == "schema":
            text = json.dumps(Interchange.model_json_schema(), indent=2) + "\n"
        else:
            graph = kb_graph.current_graph()
            if root:
                graph = kb_graph.neighbourhood(graph, root, depth=depth)
            text = io.GRAPH_FORMATS[format](graph)
        if output:
            path = Path(output)
            if not path.parent.is_dir():
                raise CommandError(f"--output: directory {path.parent} does not exist")
            path.write_text(text, encoding="utf-8")
            self.stderr.write(self.style.SUCCESS(f"Wrote {format} to {output}"))
        else:
            self.stdout.write(text, ending="")
