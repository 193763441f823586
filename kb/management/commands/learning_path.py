"""Print what to study, prerequisites first, to reach one or more target concepts."""

from django.core.management.base import CommandError

from kb import graph as kb_graph
from kb.management.commands._base import KnowledgeBaseCommand, split_slugs


class Command(KnowledgeBaseCommand):
    help = "Learning order for target concepts, skipping what you already know."

    def add_arguments(self, parser):
        parser.add_argument("targets", help="Comma-separated target concept slugs.")
        parser.add_argument("--known", default="", help="Comma-separated slugs you already know.")
        parser.add_argument(
            "--recommended",
            action="store_true",
            help="Also include recommended (not only required) prerequisites.",
        )

    def handle(self, *args, targets: str, known: str, recommended: bool, **options):
        target_slugs = split_slugs(targets)
        if not target_slugs:
            raise CommandError("targets: give at least one concept slug, e.g. transformer")
        graph = kb_graph.current_graph()
        order = kb_graph.learning_order(
            graph, target_slugs, known=split_slugs(known), include_recommended=recommended
        )
        total = kb_graph.hours_of(graph, order)
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Learning path to {targets}: {len(order)} concepts, {total:.1f} h"
            )
        )
        cumulative = 0.0
        for step, slug in enumerate(order, start=1):
            attrs = graph.nodes[slug]
            hours = attrs["hours"] or 0.0
            cumulative += hours
            self.stdout.write(
                f"  {step:>3}. {attrs['title']:<48} {attrs['area']:<15} "
                f"{hours:>5.1f} h  (total {cumulative:>5.1f} h)"
            )
