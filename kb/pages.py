"""What the knowledge-base pages show, as plain data: concept and track graphs, learning orders.

Pure functions over kb.graph's DiGraph and plain values (no database, no request),
so each rule is tested without a page around it; kb.views reads the rows
(kb.selectors), calls these and renders. They compose the functions the API serves,
so a page never answers a question differently from the API:

- a concept's neighbourhood is kb.graph.prerequisites plus kb.graph.dependents at the
  chosen depth, as /api/v1/concepts/<slug>/prerequisites/ and /dependents/ answer with
  the same `depth` and `recommended`, and every edge among those concepts. (Not
  /api/v1/graph/subgraph: its ego graph walks edges in either direction, so at depth 3
  it holds 129 of the shipped 228 concepts around the Transformer, siblings included,
  where the levels of prerequisites and dependents are 54.)
- a path to a goal is kb.graph.shortest_chain, as /api/v1/graph/path answers;
- a learning order is kb.graph.learning_order, as /api/v1/graph/learning-path and
  `manage.py learning_path` answer, minus what a background assumes (kb.backgrounds,
  as plans assume it).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from kb import backgrounds
from kb import graph as kb_graph
from kb.dag import walk
from kb.errors import NoPath

MIN_DEPTH, MAX_DEPTH, DEFAULT_DEPTH = 1, 4, 1
# A track graph's depth counts the levels of required prerequisites from outside the track.
MIN_OUTSIDE_DEPTH, MAX_OUTSIDE_DEPTH, DEFAULT_OUTSIDE_DEPTH = 0, 3, 1

ROOT, PREREQUISITE, DEPENDENT = "root", "prerequisite", "dependent"
IN_TRACK, OUTSIDE = "track", "outside"


@dataclass(frozen=True)
class Node:
    slug: str
    title: str
    area: str
    hours: float | None
    depth: int  # hops from the current concept, or levels below the track (0 inside it)
    side: str  # ROOT, PREREQUISITE, DEPENDENT (concept graph); IN_TRACK, OUTSIDE (track)
    in_track: bool | None = None  # None when no track filter applies
    weight: float | None = None  # the track's weight for it, when a track applies
    on_path: bool = False

    @property
    def relation(self) -> str:
        """Where it stands, for the list that reads the graph out: "prerequisite, 2 levels"."""
        levels = f", {self.depth} levels" if self.depth > 1 else ""
        if self.side == ROOT:
            return "this concept"
        if self.side == PREREQUISITE:
            return f"prerequisite{levels}"
        if self.side == DEPENDENT:
            return f"builds on it{levels}"
        if self.side == OUTSIDE:
            return "outside the track, required" + (f" {self.depth} levels down" if levels else "")
        return "in the track"

    def as_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "area": self.area,
            "hours": self.hours,
            "depth": self.depth,
            "side": self.side,
            "in_track": self.in_track,
            "weight": self.weight,
            "on_path": self.on_path,
        }


@dataclass(frozen=True)
class Edge:
    source: str  # the prerequisite
    target: str  # the concept that rests on it
    kind: str
    reason: str = ""
    on_path: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "kind": self.kind,
            "reason": self.reason,
            "on_path": self.on_path,
        }


@dataclass(frozen=True)
class GraphView:
    """The concepts and edges one graph on a page draws, in learning order."""

    nodes: list[Node]
    edges: list[Edge]
    root: str | None = None
    path: list[str] = field(default_factory=list)

    def slugs(self) -> list[str]:
        return [node.slug for node in self.nodes]

    def with_reasons(self, reasons: Mapping[tuple[str, str], str]) -> "GraphView":
        """The same view with each edge's reason (kb.selectors.edge_reasons)."""
        edges = [
            Edge(e.source, e.target, e.kind, reasons.get((e.source, e.target), ""), e.on_path)
            for e in self.edges
        ]
        return GraphView(self.nodes, edges, self.root, self.path)

    def payload(self) -> dict[str, Any]:
        """What the page embeds for graph.js (json_script)."""
        return {
            "root": self.root,
            "path": self.path,
            "nodes": [node.as_json() for node in self.nodes],
            "edges": [edge.as_json() for edge in self.edges],
        }


def _node(graph: nx.DiGraph, slug: str, **extra: Any) -> Node:
    attrs = graph.nodes[slug]
    return Node(slug=slug, title=attrs["title"], area=attrs["area"], hours=attrs["hours"], **extra)


def _edges_among(
    graph: nx.DiGraph, slugs: Iterable[str], *, include_recommended: bool, path: list[str]
) -> list[Edge]:
    """Every edge between two of `slugs` (recommended ones only if asked), in learning order.

    `path` marks its edges (a path is found over the same kinds of edge, so all are here).
    """
    kinds = kb_graph.ALL_KINDS if include_recommended else {kb_graph.REQUIRED}
    on_path = set(pairwise(path))
    inside = set(slugs)
    position = {slug: graph.nodes[slug]["position"] for slug in inside}
    found = [
        Edge(source, target, kind, on_path=(source, target) in on_path)
        for source, target, kind in graph.subgraph(inside).edges(data="kind")
        if kind in kinds
    ]
    return sorted(found, key=lambda e: (position[e.target], position[e.source]))


def goals(graph: nx.DiGraph, slug: str, *, include_recommended: bool) -> list[str]:
    """The concepts a path from `slug` can reach: everything that rests on it, in learning order."""
    return list(kb_graph.dependents(graph, slug, include_recommended=include_recommended))


def concept_graph(
    graph: nx.DiGraph,
    slug: str,
    *,
    depth: int = DEFAULT_DEPTH,
    include_recommended: bool = True,
    track: Mapping[str, float] | None = None,
    goal: str | None = None,
) -> GraphView:
    """`slug`, its prerequisites and its dependents up to `depth` levels, and the edges among them.

    track: concept -> weight of the track to filter by; nodes outside it are marked.
    goal: a concept to reach from `slug`; the shortest prerequisite chain from `slug` up to
    it (kb.graph.shortest_chain over the edges shown) is marked on the nodes and edges,
    and its concepts are drawn even when deeper than `depth`. Raises NoPath when `goal`
    does not rest on `slug`, UnknownConcept when either names nothing.
    """
    if not MIN_DEPTH <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be {MIN_DEPTH} to {MAX_DEPTH}")
    up = kb_graph.prerequisites(graph, slug, depth=depth, include_recommended=include_recommended)
    down = kb_graph.dependents(graph, slug, depth=depth, include_recommended=include_recommended)
    path: list[str] = []
    if goal is not None:
        if goal == slug:
            raise NoPath(slug, goal)
        path = kb_graph.shortest_chain(graph, slug, goal, include_recommended=include_recommended)
    placed = {slug: (0, ROOT)}
    placed |= {other: (hops, PREREQUISITE) for other, hops in up.items()}
    placed |= {other: (hops, DEPENDENT) for other, hops in down.items()}
    for hops, other in enumerate(path):
        placed.setdefault(other, (hops, DEPENDENT))  # a chain's k-th step is k levels down
    on_path = set(path)
    nodes = [
        _node(
            graph,
            other,
            depth=placed[other][0],
            side=placed[other][1],
            in_track=None if track is None else other in track,
            weight=None if track is None else track.get(other),
            on_path=other in on_path,
        )
        for other in kb_graph.by_position(graph, placed)
    ]
    edges = _edges_among(graph, placed, include_recommended=include_recommended, path=path)
    return GraphView(nodes, edges, root=slug, path=path)


def track_graph(
    graph: nx.DiGraph,
    weights: Mapping[str, float],
    *,
    depth: int = DEFAULT_OUTSIDE_DEPTH,
    include_recommended: bool = False,
) -> GraphView:
    """A track's concepts, and the required prerequisites outside it up to `depth` levels down.

    weights: the track's concepts with their weights. Outside concepts are what someone
    studying the track must know first without the track naming them; recommended
    prerequisites from outside are left out (they do not block anything), recommended
    edges between the concepts drawn are shown when asked.
    """
    if not MIN_OUTSIDE_DEPTH <= depth <= MAX_OUTSIDE_DEPTH:
        raise ValueError(f"depth must be {MIN_OUTSIDE_DEPTH} to {MAX_OUTSIDE_DEPTH}")
    members = kb_graph.check_known(graph, weights, field="track")
    outside = walk(
        graph, members, upstream=True, kinds={kb_graph.REQUIRED}, depth=depth, stop=members
    )
    placed = set(members) | set(outside)
    nodes = [
        _node(
            graph,
            slug,
            depth=outside.get(slug, 0),
            side=OUTSIDE if slug in outside else IN_TRACK,
            in_track=slug not in outside,
            weight=weights.get(slug),
        )
        for slug in kb_graph.by_position(graph, placed)
    ]
    edges = _edges_among(graph, placed, include_recommended=include_recommended, path=[])
    return GraphView(nodes, edges)


# --- learning orders -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    area: str
    hours: float | None
    cumulative_hours: float
    target: bool  # one of the concepts asked for, not only something they rest on


@dataclass(frozen=True)
class LearningOrder:
    """What to study, in order, to reach some targets from a background."""

    steps: list[Step]
    hours: float
    reviewed: list[str]  # shaky for the background: reviewed, not learned, in learning order
    assumed_known: int  # concepts the order skips because the background knows them
    statement: str | None  # the sentence a plan's summary gives for the same background


def learning_order(
    graph: nx.DiGraph,
    targets: Iterable[str],
    *,
    preset: backgrounds.Preset | None = None,
    weights: Mapping[str, float] | None = None,
) -> LearningOrder:
    """kb.graph.learning_order towards `targets`, minus what `preset` lets a plan assume.

    As in a plan (kb.backgrounds.assume within the targets' scope): known concepts and
    their required prerequisites are skipped, and so are shaky ones, which a plan only
    reviews; both stop the walk, so what only they rest on is skipped too. With
    `weights` (what a team or track weighs), the most weighed targets come first, each
    after what it still needs, as a plan studies them: the core of a team before its
    periphery, not whatever the graph happens to list first.
    """
    targets = kb_graph.check_known(graph, targets, field="targets")
    scope = backgrounds.plan_scope(graph, targets)
    assumed = backgrounds.NOTHING
    if preset is not None:
        assumed = backgrounds.assume(graph, preset=preset, scope=scope)
    skip = assumed.known | assumed.shaky
    if weights is None:
        order = kb_graph.learning_order(graph, targets, known=skip)
    else:
        order, seen = [], set(skip)
        for target in sorted(
            targets, key=lambda t: (-weights.get(t, 0.0), graph.nodes[t]["position"])
        ):
            if target in seen:
                continue
            fresh = [
                s for s in kb_graph.learning_order(graph, [target], known=skip) if s not in seen
            ]
            order += fresh
            seen |= set(fresh)
    wanted = set(targets)
    steps, total = [], 0.0
    for slug in order:
        attrs = graph.nodes[slug]
        total += attrs["hours"] or 0.0
        steps.append(
            Step(
                slug, attrs["title"], attrs["area"], attrs["hours"], round(total, 2), slug in wanted
            )
        )
    return LearningOrder(
        steps=steps,
        hours=round(total, 2),
        reviewed=kb_graph.by_position(graph, assumed.shaky & scope),
        assumed_known=len(assumed.known & scope),
        statement=assumed.statement,
    )
