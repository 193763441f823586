"""List the team profiles with their slugs, roles, tracks and the study they imply.

`plan --team SLUG` and `POST /api/v1/plans/` start from a team slug, which a candidate
cannot guess from the team's name; the role, the weighted tracks and the hours their
concepts take say which profile fits the interview at hand.
"""

from django.db.models import Prefetch

from kb.management.commands._base import KnowledgeBaseCommand
from kb.management.commands.list_concepts import format_table
from kb.models import TeamProfile, TeamTrack, TrackConcept


class Command(KnowledgeBaseCommand):
    help = (
        "List team profiles (slug, name, role, the concepts their tracks weigh with their "
        "study hours, and the tracks as `plan --tracks` takes them: slug=weight)."
    )

    def handle(self, *args, **options):
        teams = team_rows()
        if not teams:
            self.stdout.write("No team profiles yet: import some with import_graph.")
            return
        rows = [
            [
                team.slug,
                team.name,
                team.role,
                str(team.concept_count),
                f"{team.total_hours:.1f}",
                ",".join(f"{tw.track.slug}={tw.weight:g}" for tw in team.weighted_tracks),
            ]
            for team in teams
        ]
        self.stdout.write(
            format_table(
                ["slug", "name", "role", "concepts", "hours", "tracks"],
                rows,
                right={"concepts", "hours"},
                heading=self.style.MIGRATE_HEADING,
            )
        )
        noun = "team" if len(teams) == 1 else "teams"
        self.stdout.write(self.style.SUCCESS(f"{len(teams)} {noun}"))


def team_rows() -> list[TeamProfile]:
    """Teams by slug, each with `weighted_tracks` (heaviest first) and the `concept_count`
    and `total_hours` of the concepts any of its tracks weighs (each concept once): three
    queries, whatever the number of teams."""
    teams = list(
        TeamProfile.objects.order_by("slug").prefetch_related(
            Prefetch(
                "track_weights",
                queryset=TeamTrack.objects.select_related("track").order_by(
                    "-weight", "track__slug"
                ),
                to_attr="weighted_tracks",
            )
        )
    )
    concepts_of: dict[int, set[int]] = {}
    hours: dict[int, float] = {}
    links = TrackConcept.objects.values_list("track_id", "concept_id", "concept__hours")
    for track_id, concept_id, concept_hours in links:
        concepts_of.setdefault(track_id, set()).add(concept_id)
        hours[concept_id] = float(concept_hours or 0)
    for team in teams:
        concepts = set().union(
            *(concepts_of.get(tw.track_id, set()) for tw in team.weighted_tracks)
        )
        team.concept_count = len(concepts)
        team.total_hours = sum(hours[c] for c in concepts)
    return teams
