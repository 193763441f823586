"""List the background presets `plan --background` takes, with what each assumes.

The counts are what a plan would assume over the whole graph (known ones with
their required prerequisites, planner.background.assume), not the length of
the preset's own lists, so two presets compare at a glance.
"""

import textwrap

from kb import graph as kb_graph
from kb.management.commands._base import KnowledgeBaseCommand
from planner import background

WIDTH = 100


class Command(KnowledgeBaseCommand):
    help = "List the background presets for plan --background: what each assumes known or shaky."

    def handle(self, *args, **options):
        rows = background.presets()
        if not rows:
            self.stdout.write('No backgrounds stored; import a file with a "backgrounds" section.')
            return
        graph = kb_graph.current_graph()
        slug_width = max(len("slug"), *(len(row.slug) for row, _ in rows))
        title_width = max(len("title"), *(len(row.title) for row, _ in rows))
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"{'slug':<{slug_width}}  {'title':<{title_width}}  {'known':>5}  {'shaky':>5}"
            )
        )
        for row, preset in rows:
            assumed = background.assume(graph, preset=preset)
            self.stdout.write(
                f"{row.slug:<{slug_width}}  {row.title:<{title_width}}  "
                f"{len(assumed.known):>5}  {len(assumed.shaky):>5}"
            )
            if row.description:
                for line in textwrap.wrap(row.description, WIDTH - 4):
                    self.stdout.write(f"    {line}")
        self.stdout.write(
            "\nknown: concepts assumed known, with their required prerequisites; "
            "shaky: reviewed, not learned."
        )
