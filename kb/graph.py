"""The concept graph as a networkx.DiGraph, loaded from the database and cached.

Nodes are concept slugs; an edge `a -> b` means "a is a prerequisite of b" and
carries `kind` (required | recommended). Node attributes: title, area, hours
(float or None), difficulty, aliases (tuple), stages (tuple of stage slugs) and
`position` (see kb.dag).

The graph is built in a constant number of queries and cached per process,
keyed by kb.revision's token: one query per call notices a write made by any
process. The cached graph is frozen; callers that need to mutate copy it.
The queries themselves are pure functions in kb.dag, re-exported here.
"""

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import networkx as nx

from kb import revision
from kb.dag import (  # noqa: F401  (re-exported: kb.graph is the public face)
    ALL_KINDS,
    RECOMMENDED,
    REQUIRED,
    GraphSummary,
    all_cycles,
    assign_positions,
    by_position,
    check_known,
    dependents,
    find_cycle,
    hours_of,
    known_closure,
    learning_order,
    memoized,
    neighbourhood,
    prerequisites,
    shortest_chain,
    summarize,
)
from kb.models import Concept, Prerequisite

T = TypeVar("T")

_cache_lock = threading.Lock()
_cache: tuple[str, nx.DiGraph] | None = None


def load_graph() -> nx.DiGraph:
    """Read concepts, edges and stage links from the database (three queries).

    Does not check for cycles or compute positions, so `validate_graph` can
    load and report a graph that raw SQL has damaged.
    """
    graph = nx.DiGraph()
    slug_by_id: dict[int, str] = {}
    rows = Concept.objects.order_by("slug").values_list(
        "id", "slug", "title", "area", "hours", "difficulty", "aliases"
    )
    for pk, slug, title, area, hours, difficulty, aliases in rows:
        slug_by_id[pk] = slug
        graph.add_node(
            slug,
            title=title,
            area=area,
            hours=float(hours) if hours is not None else None,
            difficulty=difficulty,
            aliases=tuple(aliases or ()),
            stages=(),
        )
    stage_links = Concept.stages.through.objects.order_by(
        "concept_id", "interviewstage__order"
    ).values_list("concept_id", "interviewstage__slug")
    stages: dict[str, list[str]] = {}
    for concept_id, stage_slug in stage_links:
        stages.setdefault(slug_by_id[concept_id], []).append(stage_slug)
    for slug, stage_slugs in stages.items():
        graph.nodes[slug]["stages"] = tuple(stage_slugs)
    edges = Prerequisite.objects.order_by("prerequisite_id", "concept_id").values_list(
        "prerequisite_id", "concept_id", "kind"
    )
    graph.add_edges_from(
        (slug_by_id[source], slug_by_id[target], {"kind": kind}) for source, target, kind in edges
    )
    return graph


def build_graph() -> nx.DiGraph:
    graph = load_graph()
    assign_positions(graph)
    return graph


def current_graph() -> nx.DiGraph:
    """The graph at the current KB revision, frozen, built at most once per revision."""
    global _cache
    token = revision.current()
    if _cache is not None and _cache[0] != token:
        # The cache may be newer than a token pinned earlier in this request: ask again
        # rather than build an old revision's graph from today's rows over it.
        token = revision.current(fresh=True)
    with _cache_lock:
        if _cache is not None and _cache[0] == token:
            return _cache[1]
        graph = nx.freeze(build_graph())
        _cache = (token, graph)
        return graph


def per_revision(key: Hashable, build: Callable[[], T]) -> T:
    """`build()`, kept with the current graph: built once per KB revision and process.

    For what every plan reads from the KB tables besides the graph (track weights,
    background presets, question counts, resources): the revision token that keys the
    graph changes with any KB write, so these change with it, and a plan saves the
    queries. `build` must not return None (it would be built again each time), and
    callers must not change what it returns: copy what they change.
    """
    return memoized(current_graph(), ("per revision", key), build)


def clear_cache() -> None:
    global _cache
    with _cache_lock:
        _cache = None
