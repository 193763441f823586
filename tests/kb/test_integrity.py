import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from kb import graph as kb_graph
from kb import integrity
from kb.errors import (
    ConceptHasDependents,
    DuplicatePrerequisite,
    InvalidPrerequisite,
    PrerequisiteCycle,
    SelfLoop,
    UnknownConcept,
)
from kb.models import Concept, Prerequisite
from tests.kb.factories import make_concepts, make_edges

pytestmark = pytest.mark.django_db


def edges() -> set[tuple[str, str]]:
    return set(Prerequisite.objects.values_list("prerequisite__slug", "concept__slug"))


def test_adding_an_edge_that_closes_a_cycle_names_the_cycle():
    make_edges("self-attention>transformer")
    with pytest.raises(PrerequisiteCycle) as error:
        integrity.prerequisite_add(prerequisite="transformer", concept="self-attention")
    assert str(error.value) == (
        "this edge would close a cycle: transformer -> self-attention -> transformer"
    )
    assert error.value.cycle == ["transformer", "self-attention", "transformer"]
    assert edges() == {("self-attention", "transformer")}


def test_a_long_cycle_is_named_in_full():
    make_edges("a>b", "b>c", "c>d")
    with pytest.raises(PrerequisiteCycle, match="d -> a -> b -> c -> d"):
        integrity.prerequisite_add(prerequisite="d", concept="a")


def test_self_loop_is_refused():
    make_concepts("softmax")
    with pytest.raises(SelfLoop, match="softmax -> softmax"):
        integrity.prerequisite_add(prerequisite="softmax", concept="softmax")
    assert edges() == set()


def test_duplicate_edge_is_refused():
    make_edges("a>b")
    with pytest.raises(DuplicatePrerequisite, match="a -> b already exists"):
        integrity.prerequisite_add(prerequisite="a", concept="b", kind="recommended")
    assert Prerequisite.objects.get().kind == "required"


def test_unknown_slugs_are_named():
    make_concepts("a")
    with pytest.raises(UnknownConcept, match="'ghost'"):
        integrity.prerequisite_add(prerequisite="ghost", concept="a")


def test_unknown_kind_is_refused_naming_the_field():
    make_concepts("a", "b")
    with pytest.raises(InvalidPrerequisite, match="kind: 'maybe'"):
        integrity.prerequisite_add(prerequisite="a", concept="b", kind="maybe")


def test_a_valid_edge_is_stored_and_reaches_the_graph():
    make_edges("a>b")
    kb_graph.current_graph()
    make_concepts("c")
    edge = integrity.prerequisite_add(prerequisite="b", concept="c", reason="b before c")
    assert edge.reason == "b before c"
    assert kb_graph.current_graph().has_edge("b", "c")


def test_database_refuses_self_loops_and_duplicates_on_its_own():
    concepts = make_concepts("a", "b")
    with pytest.raises(IntegrityError), transaction.atomic():
        Prerequisite.objects.create(prerequisite=concepts["a"], concept=concepts["a"])
    Prerequisite.objects.create(prerequisite=concepts["a"], concept=concepts["b"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Prerequisite.objects.create(prerequisite=concepts["a"], concept=concepts["b"])


def test_replacing_prerequisites_checks_the_whole_new_list():
    make_edges("a>b", "b>c")
    make_concepts("x")
    with pytest.raises(PrerequisiteCycle, match="c -> a -> b -> c"):
        integrity.prerequisites_replace(
            concept="a", edges=[integrity.EdgeSpec("x", "a"), integrity.EdgeSpec("c", "a")]
        )
    assert edges() == {("a", "b"), ("b", "c")}


def test_replacing_prerequisites_adds_updates_and_removes():
    make_edges("a>c", "b>c")
    make_concepts("d")
    integrity.prerequisites_replace(
        concept="c",
        edges=[
            integrity.EdgeSpec("b", "c", kind="recommended", reason="nice"),
            integrity.EdgeSpec("d", "c"),
        ],
    )
    assert set(Prerequisite.objects.values_list("prerequisite__slug", "kind", "reason")) == {
        ("b", "recommended", "nice"),
        ("d", "required", ""),
    }


def test_replacing_prerequisites_refuses_duplicates_in_the_list():
    make_concepts("a", "b")
    with pytest.raises(DuplicatePrerequisite):
        integrity.prerequisites_replace(
            concept="b", edges=[integrity.EdgeSpec("a", "b"), integrity.EdgeSpec("a", "b")]
        )
    assert edges() == set()


def test_deleting_a_concept_with_dependents_is_refused_naming_them():
    make_edges("a>b", "b>c", "b>d")
    with pytest.raises(ConceptHasDependents, match="prerequisite of c, d"):
        integrity.concept_delete(slug="b")
    assert Concept.objects.filter(slug="b").exists()
    assert len(edges()) == 3


def test_deleting_with_reconnect_links_prerequisites_to_dependents():
    make_edges("a>b", "b>c")
    make_edges("x>b", "b>d", kind="recommended")
    integrity.concept_delete(slug="b", reconnect=True)
    assert not Concept.objects.filter(slug="b").exists()
    stored = set(Prerequisite.objects.values_list("prerequisite__slug", "concept__slug", "kind"))
    assert stored == {
        ("a", "c", "required"),
        ("a", "d", "recommended"),
        ("x", "c", "recommended"),
        ("x", "d", "recommended"),
    }
    assert "b" not in kb_graph.current_graph()


def test_deleting_a_leaf_concept_drops_its_incoming_edges():
    make_edges("a>b")
    integrity.concept_delete(slug="b")
    assert edges() == set()


def test_orm_delete_of_a_concept_with_dependents_is_refused_by_the_database_layer():
    from django.db.models import ProtectedError

    make_edges("a>b")
    with pytest.raises(ProtectedError):
        Concept.objects.get(slug="a").delete()


def test_audit_reports_cycles_isolated_and_missing_content():
    make_edges("a>b")
    make_concepts("lonely", hours=None)
    # A cycle that only raw SQL could have stored.
    a, b = Concept.objects.get(slug="a"), Concept.objects.get(slug="b")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Prerequisite._meta.db_table} (prerequisite_id, concept_id, kind, reason)"
            " VALUES (%s, %s, 'required', '')",
            [b.pk, a.pk],
        )
    audit = integrity.audit()
    assert audit.cycles == [["a", "b", "a"]]
    assert audit.isolated == ["lonely"]
    assert audit.without_hours == ["lonely"]
    assert audit.without_resources == ["a", "b", "lonely"]


@pytest.mark.django_db(transaction=True)
def test_two_writers_cannot_close_a_cycle_between_them(monkeypatch):
    """Each writer alone is fine; together a -> b and b -> a would be a cycle.

    The check is slowed down so that without the lock both would pass it
    before either inserts; with the lock the second waits and sees the first.
    """
    make_concepts("a", "b")
    real_load = kb_graph.load_graph

    def slow_load():
        graph = real_load()
        time.sleep(0.3)
        return graph

    monkeypatch.setattr(kb_graph, "load_graph", slow_load)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(source: str, target: str) -> None:
        barrier.wait()
        try:
            integrity.prerequisite_add(prerequisite=source, concept=target)
            outcomes.append("added")
        except PrerequisiteCycle:
            outcomes.append("cycle")
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["added", "cycle"]
    assert len(edges()) == 1
