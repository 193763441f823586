"""List the concepts with their slugs: by area or track, or found by name with --search.

Every other command takes concept slugs (`learning_path`, `plan --targets/--known/--shaky`,
`export_graph --root`), and a candidate knows a concept by a name ("transformers", "RAG"),
not by its slug. This is where slugs are found; `--search` ranks exactly like
`GET /api/v1/concepts/?q=` (kb.search).
"""

from collections.abc import Sequence

from django.core.management.base import CommandError

from kb import search as kb_search
from kb.errors import did_you_mean
from kb.management.commands._base import KnowledgeBaseCommand
from kb.models import Area, Concept, Difficulty, Track

TITLE_WIDTH = 60


class Command(KnowledgeBaseCommand):
    help = (
        "List concepts (slug, title, area, hours, difficulty), optionally of one area or "
        "track; --search finds them by title, alias or summary, best match first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--search",
            "-s",
            metavar="Q",
            help="Words to find, by stem: 'transformers', 'rag', 'tokenizer'. Every word "
            "must match; exact names come first, then title, alias and summary matches.",
        )
        parser.add_argument(
            "--area", metavar="A", help=f"Only this area: {', '.join(Area.values)}."
        )
        parser.add_argument(
            "--track", metavar="T", help="Only concepts this track weighs (see list_tracks)."
        )

    def handle(self, *args, search: str | None, area: str | None, track: str | None, **options):
        if search is not None and not search.strip():
            raise CommandError("--search: give some words to look for, e.g. --search attention")
        if area is not None and area not in Area.values:
            hint = did_you_mean(kb_search.closest(area, Area.values))
            raise CommandError(
                f"--area: unknown area {area!r}{hint}; the areas are {', '.join(Area.values)}"
            )
        if track is not None and not Track.objects.filter(slug=track).exists():
            slugs = Track.objects.values_list("slug", flat=True)
            raise CommandError(f"--track: {kb_search.unknown_message('track', [track], slugs)}")
        rows = concept_rows(area=area, track=track)
        matches: dict[str, str] = {}
        if search:
            ranked = kb_search.rank_concepts(search, rows)
            if not ranked:
                hint = did_you_mean(kb_search.closest(search, rows))
                self.stdout.write(f"No concept matches {search!r}{hint}.")
                return
            rows = [concept for concept, _ in ranked]
            matches = {concept.slug: tier.label for concept, tier in ranked}
        headers = ["slug", "title", "area", "hours", "difficulty"]
        table = [
            [
                c.slug,
                shorten(c.title, TITLE_WIDTH),
                c.area,
                f"{c.hours:.1f}" if c.hours is not None else "-",
                Difficulty(c.difficulty).label.lower(),
            ]
            for c in rows
        ]
        if matches:  # why a concept is listed: "summary" hits are the loose ones
            headers.append("match")
            for cells, concept in zip(table, rows, strict=True):
                cells.append(matches[concept.slug])
        self.stdout.write(
            format_table(headers, table, right={"hours"}, heading=self.style.MIGRATE_HEADING)
        )
        total = sum(c.hours or 0 for c in rows)
        noun = "concept" if len(rows) == 1 else "concepts"
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} {noun}, {total:.1f} h"))


def concept_rows(*, area: str | None = None, track: str | None = None) -> list[Concept]:
    """Concepts by slug, with what listing and searching read, in one query."""
    concepts = Concept.objects.order_by("slug").only(
        "slug", "title", "aliases", "summary", "area", "hours", "difficulty"
    )
    if area is not None:
        concepts = concepts.filter(area=area)
    if track is not None:
        concepts = concepts.filter(track_weights__track__slug=track)
    return list(concepts)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: set[str] = frozenset(),
    heading=str,
) -> str:
    """Rows as aligned columns under a header line; `right` names the columns of numbers.

    The last column is not padded, so a long last cell (a team's tracks) does not widen
    every line. Shared by the list_* commands.
    """
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, (header, cell) in enumerate(zip(headers, cells, strict=True)):
            last = i == len(headers) - 1
            if header in right:
                parts.append(cell.rjust(widths[i]))
            else:
                parts.append(cell if last else cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    return "\n".join([heading(line(headers)), *(line(row) for row in rows)])
