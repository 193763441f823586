from datetime import timedelta

import networkx as nx
import pytest

from planner import services
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

GRAPH = "/api/v1/graph/"


def test_the_learning_path_is_ordered_with_hours(small_kb, anon):
    response = anon.get(GRAPH + "learning-path/", {"targets": "bert", "known": "softmax"})
    assert response.status_code == 200
    body = response.json()
    steps = [(s["step"], s["slug"], s["hours"], s["cumulative_hours"]) for s in body["results"]]
    assert steps == [
        (1, "linear-algebra", 2.0, 2.0),
        (2, "self-attention", 3.0, 5.0),
        (3, "transformer", 4.0, 9.0),
        (4, "bert", 2.0, 11.0),
    ]
    assert (body["count"], body["hours"]) == (4, 11.0)
    assert (body["targets"], body["known"]) == (["bert"], ["softmax"])


def test_the_learning_path_can_include_recommended_prerequisites(small_kb, anon):
    response = anon.get(GRAPH + "learning-path", {"targets": "bert", "recommended": "true"})
    assert "tokenization" in [s["slug"] for s in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"targets": "bert,ghost"}, "targets", "targets: unknown concept 'ghost'"),
        ({"targets": "bert", "known": "ghost"}, "known", "known: unknown concept 'ghost'"),
        ({}, "targets", "targets: This field is required."),
        ({"targets": ""}, "targets", "targets: Give at least one target concept."),
        ({"targets": "Bert Base"}, "targets", None),
    ],
)
def test_a_bad_learning_path_request_is_a_400_naming_the_parameter(
    small_kb, anon, params, field, message
):
    response = anon.get(GRAPH + "learning-path/", params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    if message:
        assert error["message"] == message


def test_path_is_the_shortest_prerequisite_chain(small_kb, anon):
    response = anon.get(GRAPH + "path/", {"from": "softmax", "to": "bert"})
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body["results"]] == [
        "softmax",
        "self-attention",
        "transformer",
        "bert",
    ]
    assert body["length"] == 3
    assert body["edges"][0] == {"from": "softmax", "to": "self-attention", "kind": "required"}


def test_no_path_is_a_404_with_a_clear_message(small_kb, anon):
    response = anon.get(GRAPH + "path/", {"from": "bert", "to": "softmax"})
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "no_prerequisite_path",
        "message": "no prerequisite chain leads from 'bert' to 'softmax'",
        "details": {"from": "bert", "to": "softmax"},
    }


def test_path_over_required_edges_only_can_be_missing(small_kb, anon):
    params = {"from": "tokenization", "to": "bert"}
    assert anon.get(GRAPH + "path/", params).status_code == 200
    assert anon.get(GRAPH + "path/", {**params, "recommended": "false"}).status_code == 404


@pytest.mark.parametrize("field", ["from", "to"])
def test_an_unknown_end_of_a_path_is_a_400_naming_it(small_kb, anon, field):
    params = {"from": "softmax", "to": "bert", field: "ghost"}
    response = anon.get(GRAPH + "path/", params)
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == field


def test_subgraph_as_json_lists_the_neighbourhood(small_kb, anon):
    response = anon.get(GRAPH + "subgraph/", {"root": "transformer", "depth": 1})
    assert response.status_code == 200
    body = response.json()
    assert [n["slug"] for n in body["nodes"]] == ["self-attention", "transformer", "bert"]
    assert {(e["from"], e["to"]) for e in body["edges"]} == {
        ("self-attention", "transformer"),
        ("transformer", "bert"),
    }


def test_subgraph_depth_zero_is_the_root_alone(small_kb, anon):
    body = anon.get(GRAPH + "subgraph/", {"root": "bert", "depth": 0}).json()
    assert (len(body["nodes"]), body["edges"], body["root"]) == (1, [], "bert")


@pytest.mark.parametrize(
    ("fmt", "media_type", "start"),
    [
        ("dot", "text/vnd.graphviz", "digraph prepgraph {"),
        ("mermaid", "text/plain", "flowchart LR"),
        ("graphml", "application/graphml+xml", "<graphml"),
    ],
)
def test_subgraph_in_other_formats_is_text_for_other_tools(small_kb, anon, fmt, media_type, start):
    params = {"root": "transformer", "depth": 1, "format": fmt}
    response = anon.get(GRAPH + "subgraph/", params, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == f"{media_type}; charset=utf-8"
    text = response.content.decode()
    assert text.startswith(start)
    if fmt == "graphml":
        graph = nx.parse_graphml(text)
        assert set(graph) == {"self-attention", "transformer", "bert"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"root": "ghost"}, "root"),
        ({}, "root"),
        ({"root": "bert", "depth": 11}, "depth"),
        ({"root": "bert", "format": "png"}, "format"),
    ],
)
def test_a_bad_subgraph_request_is_a_400_naming_the_parameter(small_kb, anon, params, field):
    response = anon.get(GRAPH + "subgraph/", {**params, "format": params.get("format", "dot")})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["details"]["field"] == field


def test_next_lists_what_is_unblocked_ranked_by_what_it_unlocks(small_kb, anon):
    response = anon.get(GRAPH + "next/", {"known": "softmax"})
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body["results"]] == ["linear-algebra", "k-means", "tokenization"]
    assert body["results"][0]["unlocks"] == 1
    assert (body["plan"], body["known"], body["count"]) == (None, ["softmax"], 3)


def test_next_ranks_by_a_tracks_weights(small_kb, anon):
    body = anon.get(GRAPH + "next/", {"track": "ml-fundamentals"}).json()
    ranked = [(c["slug"], c["relevance"]) for c in body["results"]]
    assert ranked[:2] == [("k-means", 0.6), ("softmax", 0.4)]
    assert body["track"] == "ml-fundamentals"


def test_next_ranks_by_a_teams_tracks(small_kb, anon):
    body = anon.get(GRAPH + "next/", {"team": "llm-research", "known": "softmax"}).json()
    # nlp 1.0 x tokenization 0.5; linear-algebra has no weight of its own but unlocks
    # self-attention -> transformer (0.9) -> bert (1.0): 0.5 * 0.5 * (0.9 + 0.5 * 1.0);
    # ml-fundamentals 0.3 x k-means 0.6.
    ranked = [(c["slug"], c["value"]) for c in body["results"]]
    assert ranked == [("tokenization", 0.5), ("linear-algebra", 0.35), ("k-means", 0.18)]
    assert body["team"] == "llm-research"


def test_next_counts_a_signed_in_users_progress_as_known(small_kb, alice, client_alice):
    plan = services.create_plan(
        owner=alice,
        inputs=services.PlanInputs(
            team="llm-research",
            interview=services.local_today("UTC") + timedelta(days=20),
            known=("tokenization",),
        ),
    )
    for item in plan.items.filter(concept_slug__in=["softmax", "linear-algebra"], kind="learn"):
        services.mark_item(item=item, status="done")
    body = client_alice.get(GRAPH + "next/").json()
    assert body["plan"] == plan.pk
    assert body["known"] == ["linear-algebra", "softmax", "tokenization"]
    assert [c["slug"] for c in body["results"]] == ["self-attention", "k-means"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"track": "ghost"}, "track"),
        ({"team": "ghost"}, "team"),
        ({"known": "ghost"}, "known"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
    ],
)
def test_a_bad_next_request_is_a_400_naming_the_parameter(small_kb, anon, params, field):
    response = anon.get(GRAPH + "next/", params)
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == field


def test_graph_answers_follow_kb_writes(small_kb, anon, client_staff):
    params = {"from": "k-means", "to": "bert"}
    assert anon.get(GRAPH + "path/", params).status_code == 404
    client_staff.post("/api/v1/edges/", {"from": "k-means", "to": "bert"}, format="json")
    assert anon.get(GRAPH + "path/", params).status_code == 200
