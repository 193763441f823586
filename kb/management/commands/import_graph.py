"""Import a knowledge-base file in the interchange format (see README).

All or nothing: a file with one bad record imports nothing and every problem
is listed with its place. Re-importing the same file changes nothing.
"""

import sys
from pathlib import Path

from django.core.management.base import CommandError

from kb import io
from kb.management.commands._base import KnowledgeBaseCommand


class Command(KnowledgeBaseCommand):
    help = "Import concepts, edges, resources, questions, tracks and teams from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a prepgraph/1 JSON file, or - for stdin.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, write nothing."
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        if file == "-":
            text = sys.stdin.buffer.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"file: {file} does not exist or is not a file")
            text = path.read_bytes()
        report = io.import_text(text, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(f"{file}: no problems found (dry run, nothing written)")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}"))
