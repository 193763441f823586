import pytest

from kb.models import Prerequisite
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/edges/"


def edge_id(source: str, target: str) -> int:
    return Prerequisite.objects.get(prerequisite__slug=source, concept__slug=target).pk


def test_anyone_can_list_edges_and_filter_them(small_kb, anon):
    response = anon.get(URL, {"to": "bert"})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": edge_id("tokenization", "bert"),
            "from": "tokenization",
            "to": "bert",
            "kind": "recommended",
            "reason": "",
        },
        {
            "id": edge_id("transformer", "bert"),
            "from": "transformer",
            "to": "bert",
            "kind": "required",
            "reason": "",
        },
    ]
    response = anon.get(URL, {"from": "softmax"})
    assert [e["to"] for e in response.json()["results"]] == ["self-attention"]
    response = anon.get(URL, {"kind": "recommended"})
    assert [e["from"] for e in response.json()["results"]] == ["tokenization"]


def test_staff_add_an_edge(small_kb, client_staff):
    body = {"from": "k-means", "to": "bert", "kind": "recommended", "reason": "Contrast."}
    response = client_staff.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": edge_id("k-means", "bert"), **body}


def test_an_edge_that_closes_a_cycle_is_a_400_naming_the_cycle(small_kb, client_staff):
    response = client_staff.post(URL, {"from": "bert", "to": "softmax"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "prerequisite_cycle"
    assert error["message"] == (
        "this edge would close a cycle: bert -> softmax -> self-attention -> transformer -> bert"
    )
    assert error["details"]["cycle"] == [
        "bert",
        "softmax",
        "self-attention",
        "transformer",
        "bert",
    ]
    assert not Prerequisite.objects.filter(prerequisite__slug="bert").exists()


def test_a_self_loop_is_a_400(small_kb, client_staff):
    response = client_staff.post(URL, {"from": "bert", "to": "bert"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "prerequisite_self_loop"


def test_a_duplicate_edge_is_a_409(small_kb, client_staff):
    response = client_staff.post(URL, {"from": "transformer", "to": "bert"}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "prerequisite_duplicate"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "ghost", "to": "bert"}, "from"),
        ({"from": "bert", "to": "ghost"}, "to"),
        ({"to": "bert"}, "from"),
        ({"from": "k-means", "to": "bert", "kind": "optional"}, "kind"),
        ({"from": "k-means", "to": "bert", "reason": 5}, "reason"),
    ],
)
def test_a_bad_edge_is_a_400_naming_the_field(small_kb, client_staff, body, field):
    response = client_staff.post(URL, body, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == field


def test_a_patch_changes_only_what_it_names(small_kb, client_staff):
    pk = edge_id("tokenization", "bert")
    Prerequisite.objects.filter(pk=pk).update(reason="Subwords.")
    response = client_staff.patch(f"{URL}{pk}/", {"kind": "required"}, format="json")
    assert response.status_code == 200
    assert response.json()["kind"] == "required"
    assert response.json()["reason"] == "Subwords."
    response = client_staff.patch(f"{URL}{pk}/", {"reason": "Tokens in."}, format="json")
    assert response.json() == {
        "id": pk,
        "from": "tokenization",
        "to": "bert",
        "kind": "required",
        "reason": "Tokens in.",
    }


@pytest.mark.parametrize("moved", [{"from": "softmax"}, {"to": "transformer"}])
def test_a_patch_cannot_move_an_edge(small_kb, client_staff, moved):
    pk = edge_id("tokenization", "bert")
    response = client_staff.patch(f"{URL}{pk}/", moved, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] in moved
    assert "delete it and create another" in error["message"]
    assert Prerequisite.objects.get(pk=pk).prerequisite.slug == "tokenization"


def test_edges_have_no_put(small_kb, client_staff):
    pk = edge_id("tokenization", "bert")
    response = client_staff.put(f"{URL}{pk}/", {"from": "a", "to": "b"}, format="json")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_staff_delete_an_edge(small_kb, client_staff):
    pk = edge_id("tokenization", "bert")
    assert client_staff.delete(f"{URL}{pk}/").status_code == 204
    assert not Prerequisite.objects.filter(pk=pk).exists()
    assert client_staff.delete(f"{URL}{pk}/").status_code == 404


def test_only_staff_write_edges(small_kb, anon, client_alice):
    pk = edge_id("tokenization", "bert")
    assert anon.delete(f"{URL}{pk}/").status_code == 401
    assert client_alice.delete(f"{URL}{pk}/").status_code == 403
    assert client_alice.patch(f"{URL}{pk}/", {"kind": "required"}).status_code == 403
    assert client_alice.post(URL, {"from": "k-means", "to": "bert"}).status_code == 403
    assert Prerequisite.objects.filter(pk=pk, kind="recommended").exists()


def test_an_unknown_edge_is_a_404(small_kb, anon):
    response = anon.get(f"{URL}999999/")
    assert response.status_code == 404
    assert error_of(response)["message"] == "no edge '999999'"
