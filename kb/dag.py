"""Pure graph algorithms over the concept DiGraph: no Django, no database.

kb.graph loads the graph and re-exports these; planner.core uses them directly,
since it must stay importable without Django.

Nodes are concept slugs; an edge `a -> b` means "a is a prerequisite of b" and
carries `kind` (required | recommended). Nodes carry `position`, their index in
one deterministic topological order: ordering any subset by it is a valid
learning order at the cost of a sort, where re-sorting a subgraph topologically
would cost a traversal per query (measured on 100k nodes: 1-15 ms against
1.3 s).
"""

import threading
import weakref
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kb import search
from kb.errors import NoPath, PrerequisiteCycle, UnknownConcept
from kb.vocabulary import PRACTICE_AREA, RECOMMENDED, REQUIRED

ALL_KINDS = frozenset({REQUIRED, RECOMMENDED})


def assign_positions(graph: nx.DiGraph) -> None:
    """Stamp each node with its index in the lexicographically smallest topological order.

    Raises PrerequisiteCycle if the graph is not a DAG.
    """
    try:
        order = nx.lexicographical_topological_sort(graph)
        for position, slug in enumerate(order):
            graph.nodes[slug]["position"] = position
    except nx.NetworkXUnfeasible:
        raise PrerequisiteCycle(find_cycle(graph)) from None


def find_cycle(graph: nx.DiGraph) -> list[str]:
    """One cycle as a closed walk, e.g. ['a', 'b', 'a']; [] when the graph is acyclic."""
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    return [edges[0][0], *(target for _, target in edges)]


def all_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle per strongly connected knot, so a report names every knot once."""
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = find_cycle(graph.subgraph(component))[:-1]
            start = cycle.index(min(cycle))  # a stable reading, whatever node order
            cycle = cycle[start:] + cycle[:start]
            cycles.append([*cycle, cycle[0]])
    for slug in nx.nodes_with_selfloops(graph):
        cycles.append([slug, slug])
    return sorted(cycles)


def check_known(graph: nx.DiGraph, slugs: Iterable[str], *, field: str) -> list[str]:
    """Return `slugs` as a list, or raise UnknownConcept naming every unknown one and the field.

    The error suggests the slugs each unknown one probably meant (kb.search), since a
    candidate types "transformers" or "transfomer", not `transformer-architecture`.
    """
    slugs = list(slugs)
    unknown = [slug for slug in slugs if slug not in graph]
    if unknown:
        raise UnknownConcept(unknown, field=field, suggestions=search.suggest(unknown, graph))
    return slugs


def by_position(graph: nx.DiGraph, slugs: Iterable[str]) -> list[str]:
    """`slugs` in learning order (prerequisites first)."""
    nodes = graph.nodes
    return sorted(slugs, key=lambda slug: nodes[slug]["position"])


def edge_kinds(include_recommended: bool) -> frozenset[str]:
    return ALL_KINDS if include_recommended else frozenset({REQUIRED})


def walk(
    graph: nx.DiGraph,
    starts: Iterable[str],
    *,
    upstream: bool,
    kinds: Collection[str],
    depth: int | None = None,
    stop: Collection[str] = (),
) -> dict[str, int]:
    """Breadth-first reach from `starts` (excluded), with the hop count to each node.

    upstream=True follows edges backwards (towards prerequisites). Nodes in
    `stop` are neither entered nor walked through.
    """
    neighbours = graph.pred if upstream else graph.succ
    distance: dict[str, int] = {}
    queue = deque((slug, 0) for slug in starts)
    seen = set(starts)
    while queue:
        slug, hops = queue.popleft()
        if depth is not None and hops >= depth:
            continue
        for other, attrs in neighbours[slug].items():
            if other in seen or other in stop or attrs["kind"] not in kinds:
                continue
            seen.add(other)
            distance[other] = hops + 1
            queue.append((other, hops + 1))
    return distance


def prerequisites(
    graph: nx.DiGraph,
    slug: str,
    *,
    depth: int | None = None,
    include_recommended: bool = True,
) -> dict[str, int]:
    """Concepts `slug` rests on, each with its distance, in learning order.

    depth=1 gives the direct prerequisites, None the transitive ones.
    """
    check_known(graph, [slug], field="concept")
    reach = walk(graph, [slug], upstream=True, kinds=edge_kinds(include_recommended), depth=depth)
    return {other: reach[other] for other in by_position(graph, reach)}


def dependents(
    graph: nx.DiGraph,
    slug: str,
    *,
    depth: int | None = None,
    include_recommended: bool = True,
) -> dict[str, int]:
    """Concepts that rest on `slug`, each with its distance, in learning order."""
    check_known(graph, [slug], field="concept")
    reach = walk(graph, [slug], upstream=False, kinds=edge_kinds(include_recommended), depth=depth)
    return {other: reach[other] for other in by_position(graph, reach)}


def known_closure(graph: nx.DiGraph, known: Iterable[str]) -> set[str]:
    """`known` plus what they require: knowing a concept implies its required prerequisites."""
    known = set(check_known(graph, known, field="known"))
    return set(upstream_closure(graph, known, kinds={REQUIRED}))


# --- per-graph memo: what a loaded graph is asked again and again ---------------------------

_memos: "weakref.WeakKeyDictionary[nx.DiGraph, dict[Any, Any]]" = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def graph_memo(graph: nx.DiGraph) -> dict[Any, Any]:
    """A dict that lives as long as `graph` does, for what is derived from it alone.

    Only a frozen graph (`nx.freeze`, as kb.graph caches it per process) keeps
    one: it cannot change under it. Any other graph, or a view of one (which
    follows its base graph), gets a new empty dict on every call, so callers
    need no second code path.
    """
    if not _memoizable(graph):
        return {}
    with _memos_lock:
        found = _memos.get(graph)
        if found is None:
            found = _memos[graph] = {}
        return found


def _memoizable(graph: nx.DiGraph) -> bool:
    return nx.is_frozen(graph) and not hasattr(graph, "_graph")  # a view keeps its base there


def memoized(graph: nx.DiGraph, key: Any, build: Callable[[], Any]) -> Any:
    """`build()`, kept in graph_memo(graph) under `key` (so built once per frozen graph)."""
    memo = graph_memo(graph)
    found = memo.get(key)
    if found is None:
        found = memo[key] = build()
    return found


class _Prerequisites(dict):
    """slug -> its prerequisites over some edge kinds, a tuple in the graph's edge order;
    each looked up in the graph the first time it is asked for."""

    def __init__(self, pred: Mapping[str, Mapping[str, Mapping[str, Any]]], kinds: frozenset[str]):
        super().__init__()
        self._pred = pred
        self._kinds = kinds

    def __missing__(self, slug: str) -> tuple[str, ...]:
        kinds = self._kinds
        found = tuple(other for other, attrs in self._pred[slug].items() if attrs["kind"] in kinds)
        self[slug] = found
        return found


def prerequisite_lists(graph: nx.DiGraph, kinds: Collection[str]) -> Mapping[str, tuple[str, ...]]:
    """Each concept's direct prerequisites over `kinds`, in the graph's edge order.

    Filled as it is read, and for a frozen graph kept for its lifetime (graph_memo):
    reading the edge kinds is most of the cost of a walk, so a loaded graph pays
    it once per concept rather than once per plan.
    """
    kinds = frozenset(kinds)
    return memoized(graph, ("prerequisites", kinds), lambda: _Prerequisites(graph.pred, kinds))


def upstream_closure(
    graph: nx.DiGraph,
    starts: Iterable[str],
    *,
    kinds: Collection[str],
    stop: Collection[str] = frozenset(),
) -> dict[str, tuple[str, ...]]:
    """`starts` and all they rest on over `kinds`, each with its prerequisites in that set.

    Nodes in `stop` are neither entered nor walked through (a start is always
    in). The same set as `starts` plus walk(..., upstream=True), without the
    hop counts; each concept's prerequisites keep the graph's edge order.
    """
    lists = prerequisite_lists(graph, kinds)
    if not isinstance(stop, set | frozenset):
        stop = set(stop)
    found: dict[str, tuple[str, ...]] = {}
    stack = list(dict.fromkeys(starts))
    seen = set(stack)
    add, push, pop = seen.add, stack.append, stack.pop
    while stack:
        slug = pop()
        prerequisites = lists[slug]
        if stop and not stop.isdisjoint(prerequisites):
            prerequisites = tuple(p for p in prerequisites if p not in stop)
        found[slug] = prerequisites
        for prerequisite in prerequisites:
            if prerequisite not in seen:
                add(prerequisite)
                push(prerequisite)
    return found


class _Dependents(dict):
    """slug -> the concepts resting on it over some edge kinds, a tuple in learning order;
    each looked up in the graph the first time it is asked for."""

    def __init__(self, graph: nx.DiGraph, kinds: frozenset[str]):
        super().__init__()
        self._succ = graph.succ
        self._kinds = kinds
        if _memoizable(graph):
            self._position: Callable[[str], int] = positions(graph).__getitem__
        else:
            nodes = graph.nodes
            self._position = lambda slug: nodes[slug]["position"]

    def __missing__(self, slug: str) -> tuple[str, ...]:
        kinds = self._kinds
        found = tuple(
            sorted(
                (other for other, attrs in self._succ[slug].items() if attrs["kind"] in kinds),
                key=self._position,
            )
        )
        self[slug] = found
        return found


def dependent_lists(graph: nx.DiGraph, kinds: Collection[str]) -> Mapping[str, tuple[str, ...]]:
    """Each concept's direct dependents over `kinds`, in learning order (prerequisite_lists'
    other direction, memoized the same way)."""
    kinds = frozenset(kinds)
    return memoized(graph, ("dependents", kinds), lambda: _Dependents(graph, kinds))


def positions(graph: nx.DiGraph) -> dict[str, int]:
    """slug -> position, for every node (memoized for a frozen graph)."""
    return memoized(
        graph, "positions", lambda: {slug: attrs["position"] for slug, attrs in graph.nodes.items()}
    )


def position_order(graph: nx.DiGraph) -> list[str]:
    """Every node by position (memoized for a frozen graph)."""

    def build() -> list[str]:
        found = positions(graph)
        order: list[str | None] = [None] * len(found)
        for slug, position in found.items():
            if not 0 <= position < len(order) or order[position] is not None:
                return sorted(found, key=found.__getitem__)  # not 0..n-1: a graph changed since
            order[position] = slug
        return order  # type: ignore[return-value]

    return memoized(graph, "position order", build)


def in_position_order(graph: nx.DiGraph, slugs: Collection[str]) -> list[str]:
    """by_position(graph, slugs), read off the graph's whole order when `slugs` is most of it
    (a filter is ten times cheaper than a sort there, once the order is memoized)."""
    if 8 * len(slugs) > len(graph) and _memoizable(graph):
        return [slug for slug in position_order(graph) if slug in slugs]
    return by_position(graph, slugs)


def learning_order(
    graph: nx.DiGraph,
    targets: Iterable[str],
    *,
    known: Iterable[str] = (),
    include_recommended: bool = False,
) -> list[str]:
    """What to study, prerequisites first, to reach every target.

    Known concepts and their required prerequisites are skipped, and the walk
    does not go past them. Deterministic: ties follow the graph's positions.

    >>> learning_order(graph, ["transformer"], known=["softmax"])  # doctest: +SKIP
    ['linear-algebra', 'self-attention', 'transformer']
    """
    targets = check_known(graph, targets, field="targets")
    skip = known_closure(graph, known)
    wanted = {slug for slug in targets if slug not in skip}
    wanted |= set(
        walk(graph, wanted, upstream=True, kinds=edge_kinds(include_recommended), stop=skip)
    )
    return by_position(graph, wanted)


def shortest_chain(
    graph: nx.DiGraph, source: str, target: str, *, include_recommended: bool = True
) -> list[str]:
    """The shortest prerequisite chain from `source` up to `target`, both included."""
    check_known(graph, [source, target], field="concept")
    kinds = edge_kinds(include_recommended)
    view = nx.subgraph_view(graph, filter_edge=lambda a, b: graph.edges[a, b]["kind"] in kinds)
    try:
        return nx.shortest_path(view, source, target)
    except nx.NetworkXNoPath:
        raise NoPath(source, target) from None


def neighbourhood(graph: nx.DiGraph, slug: str, *, depth: int = 1) -> nx.DiGraph:
    """The subgraph of concepts within `depth` hops of `slug`, in either direction."""
    check_known(graph, [slug], field="root")
    if depth < 0:
        raise ValueError("depth must be 0 or more")
    return nx.ego_graph(graph, slug, radius=depth, undirected=True)


def hours_of(graph: nx.DiGraph, slugs: Iterable[str]) -> float:
    """Total estimated hours; concepts without an estimate count as zero."""
    return sum(graph.nodes[slug]["hours"] or 0.0 for slug in slugs)


@dataclass(frozen=True)
class GraphSummary:
    concepts: int
    edges: int
    required_edges: int
    by_area: dict[str, int]
    total_hours: float
    roots: int
    longest_chain: list[str]


def summarize(graph: nx.DiGraph) -> GraphSummary:
    by_area: dict[str, int] = {}
    for _, area in graph.nodes(data="area"):
        by_area[area] = by_area.get(area, 0) + 1
    required = sum(1 for *_, kind in graph.edges(data="kind") if kind == REQUIRED)
    return GraphSummary(
        concepts=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        required_edges=required,
        by_area=dict(sorted(by_area.items())),
        total_hours=hours_of(graph, graph.nodes),
        roots=sum(1 for _, degree in graph.in_degree() if degree == 0),
        longest_chain=nx.dag_longest_path(graph) if graph.number_of_nodes() else [],
    )


VALUE_PASSED_DOWN = 0.5  # the share of a concept's value its prerequisites inherit


def passed_down_value(
    order: Sequence[str],
    prerequisites: Mapping[str, Sequence[str]],
    dependents: Mapping[str, Sequence[str]],
    own: Mapping[str, float],
) -> dict[str, float]:
    """Each concept's own value plus a damped share of the value of what it unlocks.

    The one rule behind "what to learn first", for the planner's study order
    and for /graph/next: each concept passes half its value, split evenly
    among its prerequisites, down to them, so value fades with distance.
    `order` is topological (prerequisites first) over a subgraph closed
    enough for the caller; `prerequisites` and `dependents` hold its edges
    (a dependent outside `order` is passed over, so the whole graph's
    dependents, in learning order, serve any subgraph).

    >>> order = ["a", "b", "c"]
    >>> pre = {"a": [], "b": ["a"], "c": ["b"]}
    >>> dep = {"a": ["b"], "b": ["c"], "c": []}
    >>> passed_down_value(order, pre, dep, {"c": 1.0})
    {'c': 1.0, 'b': 0.5, 'a': 0.25}
    """
    value: dict[str, float] = {}
    # What each concept passes to each of its prerequisites, once per concept rather than
    # once per edge: the same quotients, summed in the same order (dropping a zero changes
    # no float sum), so the same values.
    share: dict[str, float] = {}
    share_of = share.get
    for slug in reversed(order):
        found = value[slug] = own.get(slug, 0.0) + VALUE_PASSED_DOWN * sum(
            filter(None, map(share_of, dependents[slug]))
        )
        count = len(prerequisites[slug])
        if count:
            share[slug] = found / count
    return value


PRACTICE_HOURS_PER_TOPIC = 2.0  # a practice concept counts as one topic per this many hours
PRACTICE_MAX_TOPICS = 3.0  # ... and as at most this many topics
# Rounds about the candidate's own work, which only rehearsal prepares.
REHEARSAL_STAGES = frozenset({"research-talk", "behavioral"})


def is_practice(area: str | None, stages: Sequence[str]) -> bool:
    """Does a concept rehearse one stage of the loop (kb.vocabulary.PRACTICE_AREA)?"""
    return area == PRACTICE_AREA and len(stages) == 1


def target_value(attrs: Mapping, relevance: float) -> float:
    """What learning a target is worth when the planner chooses what fits.

    Relevance squared: an interviewer probes the core of a subfield in depth and
    its periphery in passing. A practice concept of a round about the candidate's
    own work (REHEARSAL_STAGES: the job talk, the behavioural stories) counts once
    per two hours of its estimate, up to three times: nothing but rehearsal
    prepares that round, so its hours are the preparation (six hours structuring
    a job talk prepare a whole round, as three two-hour topics prepare part of a
    concepts round). Counted as one topic, the job talk lost to any three small
    topics; counted so for every practice block, ten hours of timed coding drills
    outweighed object detection for a vision team, whose coding rounds the
    knowledge topics and the mocks also prepare. Past six hours the stage's mock
    already rehearses it once, so more hours are worth less.
    """
    value = relevance**2
    hours = attrs.get("hours")
    stages = attrs.get("stages", ())
    if hours and is_practice(attrs.get("area"), stages) and stages[0] in REHEARSAL_STAGES:
        value *= min(PRACTICE_MAX_TOPICS, max(1.0, hours / PRACTICE_HOURS_PER_TOPIC))
    return value
