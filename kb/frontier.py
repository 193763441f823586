"""What someone can learn next, and which of those steps is worth most.

Pure functions over the concept DiGraph (see kb.dag for its shape): no
Django, no database. The frontier of a set of known concepts is every concept
outside their known closure whose required prerequisites all lie inside it:
it can be studied today without studying anything else first. Recommended
prerequisites never block a concept.

Ranking uses the one value rule the planner orders its days by
(kb.dag.passed_down_value):
a concept is worth its own relevance (its track weight, or 1.0 for every
concept when no track is given) plus half of the value of what it unlocks,
split among the unknown required prerequisites of each thing unlocked, so
value fades with distance. One pass in reverse topological order over the
unknown part of the graph: O((V + E) log V).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from kb.dag import REQUIRED, by_position, known_closure, passed_down_value


@dataclass(frozen=True)
class NextStep:
    slug: str
    value: float  # own relevance plus a damped share of what it unlocks
    relevance: float  # own relevance only
    unlocks: int  # unknown concepts that require it directly


def frontier(graph: nx.DiGraph, closure: set[str]) -> list[str]:
    """Concepts outside `closure` whose required prerequisites are all inside, in learning order.

    `closure` must be closed under required prerequisites (kb.dag.known_closure).

    >>> g = nx.DiGraph([("a", "b", {"kind": "required"}), ("b", "c", {"kind": "required"})])
    >>> for position, slug in enumerate("abc"):
    ...     g.nodes[slug]["position"] = position
    >>> frontier(g, {"a"})
    ['b']
    """
    ready = [
        slug
        for slug in graph
        if slug not in closure
        and all(
            other in closure
            for other, attrs in graph.pred[slug].items()
            if attrs["kind"] == REQUIRED
        )
    ]
    return by_position(graph, ready)


def unlock_values(
    graph: nx.DiGraph, closure: set[str], relevance: Mapping[str, float]
) -> dict[str, float]:
    """Value of every unknown concept: own relevance plus a damped share of what it unlocks."""
    unknown = by_position(graph, (slug for slug in graph if slug not in closure))
    prerequisites = {
        slug: [
            other
            for other, attrs in graph.pred[slug].items()
            if attrs["kind"] == REQUIRED and other not in closure
        ]
        for slug in unknown
    }
    dependents: dict[str, list[str]] = {slug: [] for slug in unknown}
    for slug, found in prerequisites.items():
        for other in found:
            dependents[other].append(slug)
    return passed_down_value(unknown, prerequisites, dependents, relevance)


def next_steps(
    graph: nx.DiGraph,
    known: Iterable[str],
    *,
    relevance: Mapping[str, float] | None = None,
    limit: int | None = None,
) -> list[NextStep]:
    """The frontier of `known`, most valuable first (ties in learning order).

    relevance: concept -> own value (a track's or team's weights); None counts
    every concept as 1.0, so the ranking is by how much a step unlocks.
    Raises UnknownConcept (field "known") for a slug not in the graph.
    """
    closure = known_closure(graph, known)
    if relevance is None:
        relevance = dict.fromkeys(graph, 1.0)
    value = unlock_values(graph, closure, relevance)
    steps = [
        NextStep(
            slug=slug,
            value=round(value[slug], 4),
            relevance=round(relevance.get(slug, 0.0), 4),
            unlocks=sum(
                1
                for other, attrs in graph.succ[slug].items()
                if attrs["kind"] == REQUIRED and other not in closure
            ),
        )
        for slug in frontier(graph, closure)
    ]
    position = {step.slug: index for index, step in enumerate(steps)}
    steps.sort(key=lambda step: (-step.value, position[step.slug]))
    return steps if limit is None else steps[:limit]
