"""Print what the knowledge base holds: counts by area, hours, the longest chain."""

from kb import graph as kb_graph
from kb.management.commands._base import KnowledgeBaseCommand
from kb.models import Question, Resource, TeamProfile, Track


class Command(KnowledgeBaseCommand):
    help = "Summarise the concept graph and the content around it."

    def handle(self, *args, **options):
        graph = kb_graph.current_graph()
        summary = kb_graph.summarize(graph)
        write = self.stdout.write
        write(self.style.MIGRATE_HEADING("Knowledge base"))
        write(
            f"  {summary.concepts} concepts, {summary.edges} prerequisite edges "
            f"({summary.required_edges} required), {summary.roots} starting points"
        )
        write(
            f"  {Resource.objects.count()} resources, {Question.objects.count()} questions, "
            f"{Track.objects.count()} tracks, {TeamProfile.objects.count()} team profiles"
        )
        write(f"  {summary.total_hours:.0f} study hours in all")
        write(self.style.MIGRATE_HEADING("Concepts by area"))
        for area, count in sorted(summary.by_area.items(), key=lambda item: -item[1]):
            write(f"  {area:<16} {count:>4}")
        if summary.longest_chain:
            write(
                self.style.MIGRATE_HEADING(f"Longest chain ({len(summary.longest_chain)} concepts)")
            )
            write("  " + " -> ".join(summary.longest_chain))
