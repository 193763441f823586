"""Database reads behind the knowledge-base pages, and the concept search the API shares.

Each function answers one question in a constant number of queries whatever the size
of the graph (querysets prefetch what a page shows); graph questions are answered by
kb.graph on its cached DiGraph, not here. A slug that names nothing is None, for the
page to answer with a 404 that suggests what was meant.
"""

from collections.abc import Iterable, Mapping
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Lower, Replace

from kb import graph as kb_graph
from kb import search as kb_search
from kb.models import (
    Concept,
    LoopStage,
    Prerequisite,
    Question,
    Resource,
    TeamProfile,
    TeamTrack,
    Track,
    TrackConcept,
)

# --- search ----------------------------------------------------------------------------------


def concept_search(queryset: QuerySet[Concept], text: str) -> QuerySet[Concept] | list[Concept]:
    """The concepts of `queryset` that `text` finds, best first (kb.search.search_concepts).

    Ranking by stems is not SQL, so SQL only narrows: it keeps the rows that contain
    each of kb.search.query_roots (a superset of the matches) in the slug, title, aliases
    or summary, and Python ranks those. The rows come back as a list, which the paginator
    counts without a COUNT query: one query (plus the queryset's prefetches), as before.
    Aliases are a JSON list; cast to text it holds every alias, on SQLite and PostgreSQL,
    but SQLite keeps non-ASCII letters escaped and compares only ASCII letters without
    case, so roots with other letters narrow nothing.

    Here rather than in api.selectors so that the concept list page and `?q=` of
    /api/v1/concepts/ find the same concepts in the same order (kb never imports api).
    """
    if not text.strip():
        return queryset
    roots = kb_search.query_roots(text)
    if not roots:
        return []
    haystacks = {
        "search_slug": _compacted(F("slug")),
        "search_title": _compacted(F("title")),
        "search_aliases": _compacted(Cast("aliases", TextField())),
        "search_summary": _compacted(F("summary")),
    }
    queryset = queryset.alias(**haystacks)
    for root in filter(str.isascii, roots):
        queryset = queryset.filter(
            reduce(or_, (Q(**{f"{name}__icontains": root}) for name in haystacks))
        )
    return kb_search.search_concepts(text, queryset)


def _compacted(expression: Any) -> Any:
    """`expression` without kb.search.JOINABLE_CHARACTERS, as kb.search compares text."""
    for character in kb_search.JOINABLE_CHARACTERS:
        expression = Replace(expression, Value(character), Value(""), output_field=TextField())
    return expression


# --- concepts --------------------------------------------------------------------------------


def concept_rows(
    *, area: str | None = None, track: Track | None = None, text: str = ""
) -> QuerySet[Concept] | list[Concept]:
    """The concept list: by title, or best match first when `text` is given (one query)."""
    rows = Concept.objects.order_by(Lower("title"), "slug").only(
        "slug", "title", "aliases", "summary", "area", "hours", "difficulty"
    )
    if area:
        rows = rows.filter(area=area)
    if track is not None:
        rows = rows.filter(track_weights__track=track)
    return concept_search(rows, text) if text else rows


def concept_page(slug: str) -> Concept | None:
    """A concept with what its page lists: six queries, or one when there is no such slug."""
    return (
        Concept.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch("resources", queryset=Resource.objects.order_by("minutes", "title")),
            Prefetch(
                "questions",
                queryset=Question.objects.select_related("stage").order_by("stage__order", "slug"),
            ),
            Prefetch(
                "track_weights",
                queryset=TrackConcept.objects.select_related("track").order_by(
                    "-weight", "track__title"
                ),
            ),
            Prefetch(
                "prerequisite_edges",
                queryset=Prerequisite.objects.select_related("prerequisite").order_by(
                    "-kind",
                    Lower("prerequisite__title"),  # required first
                ),
            ),
            Prefetch(
                "dependent_edges",
                queryset=Prerequisite.objects.select_related("concept").order_by(
                    "-kind", Lower("concept__title")
                ),
            ),
        )
        .first()
    )


def edge_reasons(slugs: Iterable[str]) -> dict[tuple[str, str], str]:
    """(prerequisite, concept) -> the edge's reason, for the edges among `slugs` (one query).

    The cached graph carries only each edge's kind: reasons are text a page shows, not
    something a traversal needs, so they are read for the few edges on screen.
    """
    slugs = list(slugs)
    rows = Prerequisite.objects.filter(
        prerequisite__slug__in=slugs, concept__slug__in=slugs
    ).values_list("prerequisite__slug", "concept__slug", "reason")
    return {(source, target): reason for source, target, reason in rows}


# --- tracks and teams ------------------------------------------------------------------------


def track_choices() -> list[Track]:
    """Every track by title, for a select (one query)."""
    return list(Track.objects.order_by(Lower("title"), "slug").only("slug", "title"))


def track_weights(track: Track) -> dict[str, float]:
    """Concept slug -> the track's weight for it (one query)."""
    return dict(track.weighted_concepts.values_list("concept__slug", "weight"))


def track_page(slug: str) -> Track | None:
    """A track with its weighted concepts and the teams that weigh it: three queries."""
    return (
        Track.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "weighted_concepts",
                queryset=TrackConcept.objects.select_related("concept").order_by(
                    "-weight", Lower("concept__title")
                ),
            ),
            Prefetch(
                "team_weights",
                queryset=TeamTrack.objects.select_related("team").order_by(
                    "-weight", Lower("team__name")
                ),
            ),
        )
        .first()
    )


def team_page(slug: str) -> TeamProfile | None:
    """A team with its weighted tracks and its loop: three queries."""
    return (
        TeamProfile.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "track_weights",
                queryset=TeamTrack.objects.select_related("track").order_by(
                    "-weight", Lower("track__title")
                ),
            ),
            Prefetch("loop", queryset=LoopStage.objects.select_related("stage").order_by("order")),
        )
        .first()
    )


def relevance_from_tracks(track_weights: Mapping[str, float]) -> dict[str, float]:
    """Concept -> the best (track weight x the track's weight for the concept), one query.

    The one relevance rule: plans (planner.services), team pages and the API
    all weigh a concept this way.
    """
    return relevance_and_members(track_weights)[0]


def relevance_and_members(
    track_weights: Mapping[str, float],
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """relevance_from_tracks, and each track's concepts (the same one query, once per KB
    revision and process for the same weights: every plan and team page asks)."""
    key = ("relevance", tuple(sorted(track_weights.items())))
    relevance, members = kb_graph.per_revision(key, lambda: _relevance_and_members(track_weights))
    return dict(relevance), {track: list(found) for track, found in members.items()}


def _relevance_and_members(
    track_weights: Mapping[str, float],
) -> tuple[dict[str, float], dict[str, list[str]]]:
    relevance: dict[str, float] = {}
    members: dict[str, list[str]] = {track: [] for track in track_weights}
    rows = TrackConcept.objects.filter(track__slug__in=list(track_weights)).values_list(
        "track__slug", "concept__slug", "weight"
    )
    for track, concept, weight in rows:
        members[track].append(concept)
        value = round(track_weights[track] * weight, 4)
        if value > relevance.get(concept, 0.0):
            relevance[concept] = value
    return relevance, {track: sorted(found) for track, found in members.items()}


def team_relevance(team: TeamProfile) -> dict[str, float]:
    """What a team weighs; `team.track_weights` with their tracks prefetched (team_page)."""
    return relevance_from_tracks({row.track.slug: row.weight for row in team.track_weights.all()})


def names(model: type[Track] | type[TeamProfile]) -> list[kb_search.Entry]:
    """Every track's or team's slug and name, for suggesting what a mistyped slug meant."""
    title = "title" if model is Track else "name"
    return [kb_search.Entry(slug, name) for slug, name in model.objects.values_list("slug", title)]
