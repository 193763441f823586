"""What the home page reads: the concept search and the browse lists.

Each function costs a fixed number of queries whatever the size of the knowledge
base (tests/web/test_queries.py pins them): the search reads every concept's
searchable fields in one query and ranks them with kb.search, the one search the
API, the command line and this page share.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Sum

from kb import search as kb_search
from kb.models import Area, Concept, TeamProfile, TeamTrack, Track

SEARCH_LIMIT = 20
# kb.search's suggestions try respellings of every unknown word together: their cost
# doubles with each word, so a long query that matched nothing gets no suggestions
# rather than seconds of CPU (see the report on kb.search._variants).
MAX_SUGGESTION_WORDS = 6


@dataclass(frozen=True)
class SearchResults:
    """A search as the home page shows it.

    `concepts` are the best `SEARCH_LIMIT` matches, best first, out of `total`;
    `suggestions` are filled only when nothing matched.
    """

    query: str
    concepts: list[Concept]
    total: int
    suggestions: list[Concept] = field(default_factory=list)


@dataclass(frozen=True)
class AreaCount:
    value: str
    label: str
    concepts: int


@dataclass(frozen=True)
class Browse:
    """Tracks (annotated `concept_count`, `total_hours`), areas with concepts, and teams
    (with `track_weights` and their tracks prefetched, heaviest first)."""

    tracks: list[Track]
    areas: list[AreaCount]
    teams: list[TeamProfile]


def concept_search(query: str, *, limit: int = SEARCH_LIMIT) -> SearchResults:
    """The concepts `query` finds by title, alias, summary and word stems (kb.search).

    One query: every concept's searchable and displayed fields. The knowledge base is a
    few hundred concepts, and kb.search's suggestions need all of their names anyway
    when nothing matches, so narrowing in SQL first would save nothing worth a second
    copy of the API's narrowing code.
    """
    rows = list(
        Concept.objects.order_by("slug").only(
            "slug", "title", "aliases", "summary", "area", "hours", "difficulty"
        )
    )
    found = kb_search.search_concepts(query, rows)
    if found:
        return SearchResults(query=query, concepts=found[:limit], total=len(found))
    suggestions: list[Concept] = []
    if len(kb_search.words(query)) <= MAX_SUGGESTION_WORDS:
        by_slug = {concept.slug: concept for concept in rows}
        suggestions = [by_slug[slug] for slug in kb_search.closest(query, rows)]
    return SearchResults(query=query, concepts=[], total=0, suggestions=suggestions)


def browse() -> Browse:
    """Everything the home page lists for browsing, in four queries."""
    tracks = list(
        Track.objects.order_by("title", "slug").annotate(
            concept_count=Count("weighted_concepts"),
            total_hours=Sum("weighted_concepts__concept__hours", default=Decimal(0)),
        )
    )
    counts = dict(
        Concept.objects.order_by()
        .values("area")
        .annotate(count=Count("id"))
        .values_list("area", "count")
    )
    areas = [
        AreaCount(value=area.value, label=area.label, concepts=counts[area.value])
        for area in Area
        if counts.get(area.value)
    ]
    teams = list(
        TeamProfile.objects.order_by("name", "slug").prefetch_related(
            Prefetch(
                "track_weights",
                queryset=TeamTrack.objects.select_related("track").order_by(
                    "-weight", "track__slug"
                ),
            )
        )
    )
    return Browse(tracks=tracks, areas=areas, teams=teams)
