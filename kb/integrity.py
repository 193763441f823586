"""The one gate for prerequisite edges: every write path (admin, import, API) comes here.

A cycle cannot be caught by a row constraint, so each write checks the whole
graph. Two writers adding `a -> b` and `b -> a` at once would each pass a naive
check, so every check-and-write runs in one transaction that first takes the
edge-table lock: on SQLite the transaction itself is IMMEDIATE (settings), on
PostgreSQL `lock_edges()` takes a SHARE ROW EXCLUSIVE lock, which readers pass
and a second writer waits on.

Deleting a concept: refused while other concepts depend on it, since silently
dropping their edges would make plans skip a real prerequisite. With
`reconnect=True` each of its prerequisites is linked directly to each of its
dependents first (required only when both edges were required), so the
transitive order the graph encoded survives the deletion.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
from django.db import connection, transaction

from kb import graph as kb_graph
from kb import revision
from kb.errors import (
    ConceptHasDependents,
    DuplicatePrerequisite,
    InvalidPrerequisite,
    PrerequisiteCycle,
    SelfLoop,
    UnknownConcept,
)
from kb.models import Concept, Prerequisite, PrerequisiteKind

REQUIRED = PrerequisiteKind.REQUIRED.value


@dataclass(frozen=True)
class EdgeSpec:
    """A wanted edge `prerequisite -> concept`, by slug."""

    prerequisite: str
    concept: str
    kind: str = REQUIRED
    reason: str = ""


def lock_edges() -> None:
    """Serialise edge writers for the rest of the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_edges() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Prerequisite._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    # SQLite: DATABASES OPTIONS transaction_mode=IMMEDIATE already holds the write lock.


def cycle_through_new_edge(graph: nx.DiGraph, prerequisite: str, concept: str) -> list[str] | None:
    """The cycle that adding `prerequisite -> concept` would close, or None.

    The new edge closes a cycle exactly when `concept` already leads to
    `prerequisite`; the cycle reads from the new edge's prerequisite, e.g.
    ['transformer', 'self-attention', 'transformer'].
    """
    if prerequisite not in graph or concept not in graph:
        return None
    try:
        path = nx.shortest_path(graph, concept, prerequisite)
    except nx.NetworkXNoPath:
        return None
    return [prerequisite, *path]


def check_new_edge(graph: nx.DiGraph, prerequisite: str, concept: str) -> None:
    """Raise the specific error if `prerequisite -> concept` cannot join `graph`."""
    if prerequisite == concept:
        raise SelfLoop(concept)
    if graph.has_edge(prerequisite, concept):
        raise DuplicatePrerequisite(prerequisite, concept)
    cycle = cycle_through_new_edge(graph, prerequisite, concept)
    if cycle:
        raise PrerequisiteCycle(cycle)


def _concepts_by_slug(slugs: Iterable[str], *, field: str) -> dict[str, Concept]:
    slugs = set(slugs)
    found = {c.slug: c for c in Concept.objects.filter(slug__in=slugs)}
    missing = sorted(slugs - found.keys())
    if missing:
        raise UnknownConcept(missing, field=field)
    return found


def _validate_kind(kind: str) -> None:
    if kind not in PrerequisiteKind.values:
        raise InvalidPrerequisite(
            f"kind: {kind!r} is not one of {', '.join(PrerequisiteKind.values)}",
            details={"kind": kind},
        )


def prerequisite_add(
    *, prerequisite: str, concept: str, kind: str = REQUIRED, reason: str = ""
) -> Prerequisite:
    """Add the edge `prerequisite -> concept` after checking it against the whole graph."""
    _validate_kind(kind)
    with transaction.atomic():
        lock_edges()
        concepts = _concepts_by_slug([prerequisite, concept], field="concept")
        check_new_edge(kb_graph.load_graph(), prerequisite, concept)
        edge = Prerequisite.objects.create(
            prerequisite=concepts[prerequisite], concept=concepts[concept], kind=kind, reason=reason
        )
    return edge


def prerequisite_update(*, edge: Prerequisite, kind: str, reason: str) -> Prerequisite:
    """Change what an edge says; its endpoints never change (delete and add instead)."""
    _validate_kind(kind)
    edge.kind = kind
    edge.reason = reason
    edge.save(update_fields=["kind", "reason"])
    return edge


def prerequisite_remove(*, prerequisite: str, concept: str) -> None:
    deleted, _ = Prerequisite.objects.filter(
        prerequisite__slug=prerequisite, concept__slug=concept
    ).delete()
    if not deleted:
        raise InvalidPrerequisite(
            f"there is no edge {prerequisite} -> {concept}",
            details={"prerequisite": prerequisite, "concept": concept},
        )


def check_prerequisites_of(graph: nx.DiGraph, concept: str, edges: Sequence[EdgeSpec]) -> None:
    """Check a concept's complete new list of incoming edges against `graph`.

    Its current incoming edges do not matter: a path out of `concept` that
    came back through one of them would already be a cycle.
    """
    seen: set[str] = set()
    for edge in edges:
        _validate_kind(edge.kind)
        if edge.prerequisite == concept:
            raise SelfLoop(concept)
        if edge.prerequisite in seen:
            raise DuplicatePrerequisite(edge.prerequisite, concept)
        seen.add(edge.prerequisite)
        cycle = cycle_through_new_edge(graph, edge.prerequisite, concept)
        if cycle:
            raise PrerequisiteCycle(cycle)


def prerequisites_replace(*, concept: str, edges: Sequence[EdgeSpec]) -> list[Prerequisite]:
    """Make `edges` the complete set of `concept`'s prerequisites, atomically."""
    with transaction.atomic():
        lock_edges()
        concepts = _concepts_by_slug(
            [concept, *(e.prerequisite for e in edges)], field="prerequisite"
        )
        check_prerequisites_of(kb_graph.load_graph(), concept, edges)
        target = concepts[concept]
        wanted = {e.prerequisite: e for e in edges}
        current = {
            e.prerequisite.slug: e for e in target.prerequisite_edges.select_related("prerequisite")
        }
        Prerequisite.objects.filter(
            pk__in=[e.pk for s, e in current.items() if s not in wanted]
        ).delete()
        result = []
        for slug, spec in wanted.items():
            edge = current.get(slug)
            if edge is None:
                edge = Prerequisite.objects.create(
                    prerequisite=concepts[slug], concept=target, kind=spec.kind, reason=spec.reason
                )
            elif (edge.kind, edge.reason) != (spec.kind, spec.reason):
                prerequisite_update(edge=edge, kind=spec.kind, reason=spec.reason)
            result.append(edge)
    return result


def check_concept_delete(slug: str) -> None:
    """Raise ConceptHasDependents if deleting `slug` without reconnect would be refused.

    Reads only, for forms and confirmation pages; concept_delete checks again under
    the edge lock, since a dependent may be added in between.
    """
    dependents = list(
        Prerequisite.objects.filter(prerequisite__slug=slug).values_list("concept__slug", flat=True)
    )
    if dependents:
        raise ConceptHasDependents(slug, dependents)


def concept_delete(*, slug: str, reconnect: bool = False) -> None:
    """Delete a concept under the policy in the module docstring."""
    with revision.batched():
        lock_edges()
        concept = _concepts_by_slug([slug], field="concept")[slug]
        outgoing = list(concept.dependent_edges.select_related("concept"))
        if outgoing and not reconnect:
            raise ConceptHasDependents(slug, [e.concept.slug for e in outgoing])
        incoming = list(concept.prerequisite_edges.select_related("prerequisite"))
        existing = set(
            Prerequisite.objects.filter(concept__in=[e.concept for e in outgoing]).values_list(
                "prerequisite_id", "concept_id"
            )
        )
        bridges = []
        for before in incoming:
            for after in outgoing:
                pair = (before.prerequisite_id, after.concept_id)
                if pair in existing:
                    continue
                both_required = before.kind == REQUIRED and after.kind == REQUIRED
                bridges.append(
                    Prerequisite(
                        prerequisite=before.prerequisite,
                        concept=after.concept,
                        kind=REQUIRED if both_required else PrerequisiteKind.RECOMMENDED.value,
                        reason=f"via {slug} (deleted)",
                    )
                )
        Prerequisite.objects.filter(pk__in=[e.pk for e in outgoing]).delete()
        Prerequisite.objects.bulk_create(bridges)
        concept.delete()
        revision.bump()


def check_edge_set(edges: Iterable[tuple[str, str]]) -> list[str]:
    """Problems of a whole edge set (for imports): self-loops and every cycle knot, by name."""
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    return [f"cycle: {' -> '.join(cycle)}" for cycle in kb_graph.all_cycles(graph)]


@dataclass(frozen=True)
class Audit:
    """What validate_graph reports about the stored graph."""

    cycles: list[list[str]]
    isolated: list[str]
    without_hours: list[str]
    without_resources: list[str]

    @property
    def problems(self) -> list[str]:
        return (
            [f"cycle: {' -> '.join(cycle)}" for cycle in self.cycles]
            + [f"isolated concept (no prerequisite and no dependent): {s}" for s in self.isolated]
            + [f"concept without an hours estimate: {s}" for s in self.without_hours]
            + [f"concept without any resource: {s}" for s in self.without_resources]
        )


def audit() -> Audit:
    """Check the stored graph as it is, even if raw SQL has put a cycle in it."""
    graph = kb_graph.load_graph()
    with_resources = set(
        Concept.objects.filter(resources__isnull=False).values_list("slug", flat=True)
    )
    return Audit(
        cycles=kb_graph.all_cycles(graph),
        isolated=sorted(nx.isolates(graph)) if graph.number_of_nodes() > 1 else [],
        without_hours=sorted(s for s, hours in graph.nodes(data="hours") if hours is None),
        without_resources=sorted(set(graph.nodes) - with_resources),
    )
