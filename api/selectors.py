"""Reads behind the API: querysets that own their joins, and graph queries as plain data.

Each function answers one endpoint's question in a constant number of SQL
queries whatever the number of rows (list querysets prefetch; graph queries
run on kb.graph's cached DiGraph, one query to check its revision). A slug
in the URL that names nothing is an Http404; a bad slug in a query parameter
is the domain's UnknownConcept naming that parameter (a 400).
"""

from collections.abc import Iterable
from itertools import pairwise
from typing import Any

import networkx as nx
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from kb import frontier
from kb import graph as kb_graph
from kb import io as kb_io
from kb import selectors as kb_selectors
from kb.models import (
    Background,
    Concept,
    InterviewStage,
    LoopStage,
    Prerequisite,
    Question,
    Resource,
    TeamProfile,
    TeamTrack,
    Track,
    TrackConcept,
)
from kb.selectors import concept_search  # noqa: F401  (api.filters' ?q=, shared with the pages)
from planner import services as planner_services
from planner.models import Plan, PlanItem

# --- knowledge base rows ---------------------------------------------------------------------


def concept_list() -> QuerySet[Concept]:
    return Concept.objects.order_by("slug").prefetch_related(
        Prefetch("stages", queryset=InterviewStage.objects.only("id", "slug"))
    )


def concept_detail() -> QuerySet[Concept]:
    """Concepts with everything the detail view shows: seven queries for one concept."""
    return Concept.objects.prefetch_related(
        Prefetch("stages", queryset=InterviewStage.objects.only("id", "slug")),
        Prefetch(
            "prerequisite_edges",
            queryset=Prerequisite.objects.select_related("prerequisite").order_by(
                "prerequisite__slug"
            ),
        ),
        Prefetch(
            "dependent_edges",
            queryset=Prerequisite.objects.select_related("concept").order_by("concept__slug"),
        ),
        Prefetch("resources", queryset=Resource.objects.order_by("minutes", "title")),
        Prefetch("questions", queryset=Question.objects.select_related("stage").order_by("slug")),
        Prefetch(
            "track_weights",
            queryset=TrackConcept.objects.select_related("track").order_by("track__slug"),
        ),
    )


def edge_list() -> QuerySet[Prerequisite]:
    return Prerequisite.objects.select_related("prerequisite", "concept").order_by(
        "concept__slug", "prerequisite__slug"
    )


def stage_list() -> QuerySet[InterviewStage]:
    return InterviewStage.objects.order_by("order", "slug").prefetch_related(
        Prefetch("essentials", queryset=Concept.objects.only("id", "slug").order_by("slug"))
    )


def track_list() -> QuerySet[Track]:
    return Track.objects.order_by("slug").prefetch_related(
        Prefetch(
            "weighted_concepts",
            queryset=TrackConcept.objects.select_related("concept").order_by(
                "-weight", "concept__slug"
            ),
        )
    )


def team_list() -> QuerySet[TeamProfile]:
    return TeamProfile.objects.order_by("slug").prefetch_related(
        Prefetch(
            "track_weights",
            queryset=TeamTrack.objects.select_related("track").order_by("-weight", "track__slug"),
        ),
        Prefetch("loop", queryset=LoopStage.objects.select_related("stage").order_by("order")),
        Prefetch("must_have", queryset=Concept.objects.only("id", "slug").order_by("slug")),
    )


def background_list() -> QuerySet[Background]:
    concepts = Concept.objects.only("id", "slug").order_by("slug")
    return Background.objects.order_by("slug").prefetch_related(
        Prefetch("known_concepts", queryset=concepts),
        Prefetch("shaky_concepts", queryset=concepts),
    )


def question_list() -> QuerySet[Question]:
    return (
        Question.objects.order_by("slug")
        .select_related("stage")
        .prefetch_related(Prefetch("concepts", queryset=Concept.objects.only("id", "slug")))
    )


def resource_list() -> QuerySet[Resource]:
    return Resource.objects.order_by("title", "id").prefetch_related(
        Prefetch("concepts", queryset=Concept.objects.only("id", "slug"))
    )


# --- plans -----------------------------------------------------------------------------------


def plan_list(*, user) -> QuerySet[Plan]:
    """The user's own plans: anyone else's are simply not there (a 404, not a 403)."""
    return Plan.objects.filter(owner=user).select_related("team").order_by("-created_at", "-id")


def plan_item(*, user, plan_id: int, item_id: int) -> PlanItem:
    item = (
        PlanItem.objects.filter(plan__owner=user, plan_id=plan_id, pk=item_id)
        .select_related("plan")
        .first()
    )
    if item is None:
        raise Http404(f"plan {plan_id} has no item {item_id}")
    return item


def known_from_latest_plan(*, user, graph: nx.DiGraph) -> tuple[int | None, set[str]]:
    """(plan id, concepts known or learned in it) for the user's most recent plan.

    Concepts deleted from the KB since the plan was made are left out.
    """
    if user is None or not user.is_authenticated:
        return None, set()
    plan = plan_list(user=user).first()
    if plan is None:
        return None, set()
    known = set(planner_services.plan_inputs(plan).known)
    known |= planner_services.learned_concepts(plan, graph=graph)
    return plan.pk, {slug for slug in known if slug in graph}


# --- graph queries ---------------------------------------------------------------------------


def _require(graph: nx.DiGraph, slug: str) -> None:
    if slug not in graph:
        raise Http404(f"no concept {slug!r}")


def node(graph: nx.DiGraph, slug: str) -> dict[str, Any]:
    attrs = graph.nodes[slug]
    return {
        "slug": slug,
        "title": attrs["title"],
        "area": attrs["area"],
        "hours": attrs["hours"],
        "difficulty": attrs["difficulty"],
    }


def concept_neighbours(
    *, slug: str, upstream: bool, depth: int | None, include_recommended: bool
) -> dict[str, Any]:
    """Prerequisites (upstream) or dependents of a concept, each with its distance."""
    graph = kb_graph.current_graph()
    _require(graph, slug)
    walk = kb_graph.prerequisites if upstream else kb_graph.dependents
    reach = walk(graph, slug, depth=depth, include_recommended=include_recommended)
    concepts = [node(graph, other) | {"distance": hops} for other, hops in reach.items()]
    return {
        "concept": slug,
        "depth": depth,
        "count": len(concepts),
        "hours": round(kb_graph.hours_of(graph, reach), 2),
        "results": concepts,
    }


def learning_path(
    *, targets: list[str], known: list[str], include_recommended: bool
) -> dict[str, Any]:
    """What to study, in order, to reach `targets`, with hours and running totals."""
    graph = kb_graph.current_graph()
    order = kb_graph.learning_order(
        graph, targets, known=known, include_recommended=include_recommended
    )
    steps, total = [], 0.0
    for position, slug in enumerate(order, start=1):
        total += graph.nodes[slug]["hours"] or 0.0
        steps.append(node(graph, slug) | {"step": position, "cumulative_hours": round(total, 2)})
    return {
        "targets": targets,
        "known": known,
        "count": len(steps),
        "hours": round(total, 2),
        "results": steps,
    }


def prerequisite_path(*, source: str, target: str, include_recommended: bool) -> dict[str, Any]:
    """The shortest chain `source -> ... -> target`; NoPath (a 404) when there is none."""
    graph = kb_graph.current_graph()
    kb_graph.check_known(graph, [source], field="from")
    kb_graph.check_known(graph, [target], field="to")
    chain = kb_graph.shortest_chain(graph, source, target, include_recommended=include_recommended)
    return {
        "from": source,
        "to": target,
        "length": len(chain) - 1,
        "hours": round(kb_graph.hours_of(graph, chain), 2),
        "results": [node(graph, slug) for slug in chain],
        "edges": [
            {"from": a, "to": b, "kind": graph.edges[a, b]["kind"]} for a, b in pairwise(chain)
        ],
    }


def subgraph(*, root: str, depth: int) -> nx.DiGraph:
    """The neighbourhood of `root` within `depth` hops, either direction.

    (The whole graph is `manage.py export_graph`: over HTTP it would be one
    unbounded answer for anyone to ask for.)
    """
    return kb_graph.neighbourhood(kb_graph.current_graph(), root, depth=depth)


def subgraph_json(graph: nx.DiGraph, *, root: str, depth: int) -> dict[str, Any]:
    ordered = kb_graph.by_position(graph, graph.nodes)
    return {
        "root": root,
        "depth": depth,
        "nodes": [node(graph, slug) for slug in ordered],
        "edges": [
            {"from": a, "to": b, "kind": kind} for a, b, kind in sorted(graph.edges(data="kind"))
        ],
    }


def subgraph_text(graph: nx.DiGraph, fmt: str) -> str:
    return kb_io.GRAPH_FORMATS[fmt](graph)


def relevance_for(
    *, track: Track | None = None, team: TeamProfile | None = None
) -> dict[str, float] | None:
    """Concept -> value for a track (its weights) or a team (track weight x concept weight).

    None when neither is given: every concept then counts the same.
    """
    if track is None and team is None:
        return None
    track_weights = planner_services.team_track_weights(team) if team is not None else {}
    if track is not None:
        track_weights[track.slug] = 1.0
    return kb_selectors.relevance_from_tracks(track_weights)


def next_concepts(
    *,
    known: Iterable[str],
    user=None,
    track: Track | None = None,
    team: TeamProfile | None = None,
    limit: int,
) -> dict[str, Any]:
    """What can be learned next (kb.frontier), with the user's latest plan counted as known."""
    graph = kb_graph.current_graph()
    known = kb_graph.check_known(graph, known, field="known")
    plan_id, from_plan = known_from_latest_plan(user=user, graph=graph)
    all_known = sorted(set(known) | from_plan)
    steps = frontier.next_steps(graph, all_known, relevance=relevance_for(track=track, team=team))
    return {
        "plan": plan_id,
        "known": all_known,
        "track": track.slug if track else None,
        "team": team.slug if team else None,
        "count": len(steps),
        "results": [
            node(graph, step.slug)
            | {"value": step.value, "relevance": step.relevance, "unlocks": step.unlocks}
            for step in steps[:limit]
        ],
    }
