"""List the subfield tracks with their slugs, sizes and study hours.

`plan --tracks nlp=1,ml-evaluation=0.5`, `list_concepts --track` and
`GET /api/v1/graph/next/?track=` take track slugs, which a candidate cannot guess; the
size of a track says what weighing it in a plan brings in.
"""

from django.db.models import Count, Sum

from kb.management.commands._base import KnowledgeBaseCommand
from kb.management.commands.list_concepts import format_table
from kb.models import Track


class Command(KnowledgeBaseCommand):
    help = "List tracks (slug, title, the number of concepts they weigh and their study hours)."

    def handle(self, *args, **options):
        tracks = track_rows()
        if not tracks:
            self.stdout.write("No tracks yet: import some with import_graph.")
            return
        rows = [
            [track.slug, track.title, str(track.concept_count), f"{track.total_hours or 0:.1f}"]
            for track in tracks
        ]
        self.stdout.write(
            format_table(
                ["slug", "title", "concepts", "hours"],
                rows,
                right={"concepts", "hours"},
                heading=self.style.MIGRATE_HEADING,
            )
        )
        noun = "track" if len(tracks) == 1 else "tracks"
        self.stdout.write(self.style.SUCCESS(f"{len(tracks)} {noun}"))


def track_rows() -> list[Track]:
    """Tracks by slug with `concept_count` and `total_hours` (None: no hours), one query."""
    return list(
        Track.objects.order_by("slug").annotate(
            concept_count=Count("weighted_concepts"),
            total_hours=Sum("weighted_concepts__concept__hours"),
        )
    )
