import pytest
from django.urls import reverse

from kb.models import Concept, Prerequisite
from tests.kb.factories import make_edges

pytestmark = pytest.mark.django_db


def concept_form(concept: Concept, prerequisites: list[tuple[Concept, str]]) -> dict:
    """POST data for the concept change form with its prerequisite inline."""
    existing = list(concept.prerequisite_edges.order_by("pk"))
    data = {
        "slug": concept.slug,
        "title": concept.title,
        "aliases": "[]",
        "summary": concept.summary,
        "area": concept.area,
        "hours": str(concept.hours or ""),
        "difficulty": str(concept.difficulty),
        "prerequisite_edges-TOTAL_FORMS": str(len(prerequisites)),
        "prerequisite_edges-INITIAL_FORMS": str(len(existing)),
        "dependent_edges-TOTAL_FORMS": "0",
        "dependent_edges-INITIAL_FORMS": "0",
        "Resource_concepts-TOTAL_FORMS": "0",
        "Resource_concepts-INITIAL_FORMS": "0",
    }
    for index, (prerequisite, kind) in enumerate(prerequisites):
        prefix = f"prerequisite_edges-{index}"
        if index < len(existing):
            data[f"{prefix}-id"] = str(existing[index].pk)
        data[f"{prefix}-concept"] = str(concept.pk)
        data[f"{prefix}-prerequisite"] = str(prerequisite.pk)
        data[f"{prefix}-kind"] = kind
        data[f"{prefix}-reason"] = ""
    return data


def test_concept_inline_refuses_an_edge_that_closes_a_cycle(admin_client):
    make_edges("self-attention>transformer")
    attention = Concept.objects.get(slug="self-attention")
    transformer = Concept.objects.get(slug="transformer")
    url = reverse("admin:kb_concept_change", args=[attention.pk])
    response = admin_client.post(url, concept_form(attention, [(transformer, "required")]))
    assert response.status_code == 200
    assert "transformer -&gt; self-attention -&gt; transformer" in response.content.decode()
    assert Prerequisite.objects.count() == 1


def test_concept_inline_saves_valid_edges_through_integrity(admin_client):
    make_edges("a>c")
    make_edges("b>x")
    c, b = Concept.objects.get(slug="c"), Concept.objects.get(slug="b")
    a = Concept.objects.get(slug="a")
    url = reverse("admin:kb_concept_change", args=[c.pk])
    response = admin_client.post(url, concept_form(c, [(a, "recommended"), (b, "required")]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(c.prerequisite_edges.values_list("prerequisite__slug", "kind")) == {
        ("a", "recommended"),
        ("b", "required"),
    }


def test_edge_admin_refuses_a_cycle_and_a_self_loop(admin_client):
    make_edges("a>b")
    a, b = Concept.objects.get(slug="a"), Concept.objects.get(slug="b")
    url = reverse("admin:kb_prerequisite_add")
    response = admin_client.post(
        url, {"prerequisite": b.pk, "concept": a.pk, "kind": "required", "reason": ""}
    )
    assert "b -&gt; a -&gt; b" in response.content.decode()
    response = admin_client.post(
        url, {"prerequisite": a.pk, "concept": a.pk, "kind": "required", "reason": ""}
    )
    assert response.status_code == 200
    assert Prerequisite.objects.count() == 1


def test_edge_admin_adds_a_valid_edge(admin_client):
    make_edges("a>b")
    make_edges("c>d")
    b, c = Concept.objects.get(slug="b"), Concept.objects.get(slug="c")
    response = admin_client.post(
        reverse("admin:kb_prerequisite_add"),
        {"prerequisite": b.pk, "concept": c.pk, "kind": "recommended", "reason": "why not"},
    )
    assert response.status_code == 302
    assert Prerequisite.objects.filter(prerequisite=b, concept=c, kind="recommended").exists()


def test_deleting_a_concept_with_dependents_is_refused_in_the_admin(admin_client):
    make_edges("a>b")
    a = Concept.objects.get(slug="a")
    response = admin_client.post(reverse("admin:kb_concept_delete", args=[a.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "protected" in response.content.decode().lower()
    assert Concept.objects.filter(slug="a").exists()


@pytest.mark.parametrize(
    "name",
    [
        "concept",
        "prerequisite",
        "resource",
        "question",
        "track",
        "teamprofile",
        "interviewstage",
    ],
)
def test_every_kb_changelist_renders_with_search(admin_client, name):
    make_edges("a>b")
    response = admin_client.get(reverse(f"admin:kb_{name}_changelist"), {"q": "a"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["plan", "planitem"])
def test_planner_changelists_render(admin_client, name):
    response = admin_client.get(reverse(f"admin:planner_{name}_changelist"), {"q": "x"})
    assert response.status_code == 200
