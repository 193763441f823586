"""The knowledge-base pages (kb.views): concept, concept list, track, track graph and team.

One hand-built graph small enough to know every answer by heart:

    calculus -> softmax -> self-attention -> transformer -> bert
    linear-algebra ------/                            \\-> gpt -> rlhf
    tokenization ..> bert, tokenization ..> gpt   (recommended)
    k-means                                        (alone)

Graph data is read from the page's json_script, as graph.js reads it.
"""

import copy
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from kb import graph as kb_graph
from kb import io, pages, selectors
from kb.models import Concept, TeamProfile
from planner import services as planner_services
from tests.graphs import dag
from tests.small_kb import STAGES

pytestmark = pytest.mark.django_db

REASONS = {
    ("calculus", "softmax"): "Softmax gradients need derivatives.",
    ("softmax", "self-attention"): "Attention weights are a softmax over scores.",
    ("linear-algebra", "self-attention"): "Attention is a few matrix products.",
    ("self-attention", "transformer"): "Self-attention is the Transformer's core sub-layer.",
    ("transformer", "bert"): "BERT is a Transformer encoder.",
    ("transformer", "gpt"): "GPT is a Transformer decoder.",
    ("gpt", "rlhf"): "RLHF fine-tunes a pretrained language model.",
    ("tokenization", "bert"): "BERT reads WordPiece tokens.",
    ("tokenization", "gpt"): "GPT reads BPE tokens.",
}
RECOMMENDED = {("tokenization", "bert"), ("tokenization", "gpt")}


def concept(slug: str, hours: float, area: str = "nlp", **extra) -> dict:
    return {"slug": slug, "title": slug.replace("-", " ").title(), "area": area, "hours": hours} | (
        extra
    )


KB = {
    "format": "prepgraph/1",
    "stages": STAGES,
    "concepts": [
        concept("calculus", 1, "math"),
        concept("linear-algebra", 2, "math"),
        concept("softmax", 0.5, "fundamentals"),
        concept(
            "self-attention",
            3,
            aliases=["scaled dot-product attention"],
            summary="Each token mixes the values of all tokens, weighted by query-key match.",
            difficulty=3,
        ),
        concept("transformer", 4),
        concept("bert", 2),
        concept("gpt", 2),
        concept("rlhf", 3),
        concept("tokenization", 1.5),
        concept("k-means", 2, "fundamentals"),
    ],
    "edges": [
        {"from": a, "to": b, "reason": reason}
        | ({"kind": "recommended"} if (a, b) in RECOMMENDED else {})
        for (a, b), reason in REASONS.items()
    ],
    "resources": [
        {"title": "Attention paper", "url": "https://arxiv.org/abs/1706.03762", "kind": "paper",
         "minutes": 90, "concepts": ["self-attention", "transformer"]},
        {"title": "Attention notebook", "url": "https://example.org/attn", "kind": "tutorial",
         "minutes": 30, "concepts": ["self-attention"]},
    ],
    "questions": [
        {"slug": "implement-attention", "text": "Implement attention in PyTorch.",
         "stage": "ml-coding", "concepts": ["self-attention"],
         "answer_outline": "Scores, scaling, mask, softmax, weighted sum."},
    ],
    "tracks": [
        {"slug": "nlp", "title": "NLP", "concepts": [
            {"concept": "transformer", "weight": 1.0}, {"concept": "bert", "weight": 0.9},
            {"concept": "gpt", "weight": 0.8}, {"concept": "rlhf", "weight": 0.6},
            {"concept": "tokenization", "weight": 0.5}]},
        {"slug": "ml-fundamentals", "title": "Fundamentals", "concepts": [
            {"concept": "k-means", "weight": 0.6}, {"concept": "softmax", "weight": 0.4},
            {"concept": "self-attention", "weight": 0.3}]},
    ],
    "teams": [
        {"slug": "llm-research", "name": "LLM research", "role": "research-scientist",
         "description": "Pre-trains language models.",
         "tracks": [{"track": "nlp", "weight": 1.0}, {"track": "ml-fundamentals", "weight": 0.5}],
         "loop": [{"stage": "recruiter-screen", "minutes": 30}, {"stage": "ml-coding",
                  "minutes": 45}, {"stage": "research-talk", "minutes": 60}]},
    ],
    "backgrounds": [
        {"slug": "ml-engineer", "title": "ML engineer", "description": "Ships models.",
         "known_concepts": ["softmax"], "shaky_concepts": ["self-attention"],
         "known_areas": ["math"]},
    ],
}  # fmt: skip


@pytest.fixture
def kb(db):
    io.import_text(json.dumps(KB))
    return KB


def get(client, name: str, *args, **params):
    return client.get(reverse(name, args=args), params)


def graph_data(response) -> dict:
    """The graph the page embeds for graph.js."""
    found = re.search(
        r'<script id="graph-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "no embedded graph"
    return json.loads(found.group(1))


def node_slugs(data: dict) -> set[str]:
    return {node["slug"] for node in data["nodes"]}


def edge_pairs(data: dict) -> set[tuple[str, str]]:
    return {(edge["from"], edge["to"]) for edge in data["edges"]}


def problems(response) -> list[str]:
    return response.context["problems"]


# --- the concept page --------------------------------------------------------------------------


def test_concept_page_shows_the_concept_and_its_edges_with_kinds_and_reasons(client, kb):
    response = get(client, "kb:concept", "self-attention")

    assert response.status_code == 200
    prerequisites = [
        (e.prerequisite.slug, e.kind, e.reason) for e in response.context["prerequisite_edges"]
    ]
    assert prerequisites == [
        ("linear-algebra", "required", REASONS["linear-algebra", "self-attention"]),
        ("softmax", "required", REASONS["softmax", "self-attention"]),
    ]
    dependents = [(e.concept.slug, e.kind, e.reason) for e in response.context["dependent_edges"]]
    assert dependents == [
        ("transformer", "required", REASONS["self-attention", "transformer"]),
    ]
    html = response.content.decode()
    for text in (
        "Self Attention",
        "scaled dot-product attention",  # alias
        "Each token mixes the values",  # summary
        "3 h",  # hours
        "Advanced",  # difficulty
        "NLP",  # area
        "Attention paper",
        "https://example.org/attn",
        "30 min",
        "Implement attention in PyTorch.",
        "Scores, scaling, mask, softmax, weighted sum.",
        REASONS["softmax", "self-attention"],
        REASONS["self-attention", "transformer"],
    ):
        assert text in html, text
    assert [row.track.slug for row in response.context["track_weights"]] == ["ml-fundamentals"]
    assert 'href="/tracks/ml-fundamentals/"' in html


def test_recommended_prerequisites_are_listed_after_required_ones_with_their_kind(client, kb):
    response = get(client, "kb:concept", "bert")

    listed = [(e.prerequisite.slug, e.kind) for e in response.context["prerequisite_edges"]]
    assert listed == [("transformer", "required"), ("tokenization", "recommended")]


def test_unknown_concept_is_a_404_that_suggests_close_slugs(client, kb):
    response = get(client, "kb:concept", "self-atention")

    assert response.status_code == 404
    html = response.content.decode()
    assert 'href="/concepts/self-attention/"' in html
    assert "Did you mean" in html
    assert "/concepts/?q=self+atention" in html


def test_unknown_concept_like_nothing_is_a_404_without_suggestions(client, kb):
    response = get(client, "kb:concept", "zzzzzz")

    assert response.status_code == 404
    assert "Nothing in the knowledge base is spelled like it." in response.content.decode()


# --- the concept graph -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (1, {"self-attention", "linear-algebra", "softmax", "transformer"}),
        (2, {"self-attention", "linear-algebra", "softmax", "transformer", "calculus", "bert",
             "gpt"}),
        (3, {"self-attention", "linear-algebra", "softmax", "transformer", "calculus", "bert",
             "gpt", "rlhf"}),
    ],
)  # fmt: skip
def test_depth_sets_how_many_levels_of_prerequisites_and_dependents_are_drawn(
    client, kb, depth, expected
):
    data = graph_data(get(client, "kb:concept", "self-attention", depth=depth))

    assert node_slugs(data) == expected  # never tokenization: a sibling, not a level
    assert data["root"] == "self-attention"
    depths = {node["slug"]: (node["side"], node["depth"]) for node in data["nodes"]}
    assert depths["self-attention"] == ("root", 0)
    assert depths["softmax"] == ("prerequisite", 1)
    assert depths["transformer"] == ("dependent", 1)
    if depth >= 2:
        assert depths["calculus"] == ("prerequisite", 2)
        assert depths["gpt"] == ("dependent", 2)


def test_graph_nodes_and_edges_carry_what_the_canvas_shows(client, kb):
    data = graph_data(get(client, "kb:concept", "self-attention", depth=2))

    transformer = next(node for node in data["nodes"] if node["slug"] == "transformer")
    assert transformer | {"url": None} == {
        "slug": "transformer",
        "title": "Transformer",
        "area": "nlp",
        "hours": 4.0,
        "depth": 1,
        "side": "dependent",
        "in_track": None,
        "weight": None,
        "on_path": False,
        "url": None,
    }
    assert transformer["url"] == "/concepts/transformer/"
    assert edge_pairs(data) == {
        ("calculus", "softmax"),
        ("softmax", "self-attention"),
        ("linear-algebra", "self-attention"),
        ("self-attention", "transformer"),
        ("transformer", "bert"),
        ("transformer", "gpt"),
    }
    for edge in data["edges"]:
        assert edge["reason"] == REASONS[edge["from"], edge["to"]]
        assert edge["kind"] == "required"
    # nodes in learning order: every edge's prerequisite comes first
    order = [node["slug"] for node in data["nodes"]]
    assert all(order.index(edge["from"]) < order.index(edge["to"]) for edge in data["edges"])


def test_the_graph_is_listed_in_words_without_javascript(client, kb):
    response = get(client, "kb:concept", "self-attention", depth=2)
    html = response.content.decode()
    words = html[
        html.index('<ul class="edge-list">') : html.index("</ul>", html.index("edge-list"))
    ]

    assert 'role="img"' in html
    assert 'aria-label="Prerequisite graph around Self Attention"' in html
    assert 'data-edge="softmax>self-attention"' in words
    drawn = edge_pairs(graph_data(response))
    assert len(drawn) == 6
    for pair in drawn:
        assert escape(REASONS[pair]) in words, pair
    assert '<a href="/concepts/transformer/">Transformer</a>' in html
    assert "vendor/cytoscape.min.js" in html and "kb/graph.js" in html


def test_recommended_edges_can_be_left_out(client, kb):
    both = graph_data(get(client, "kb:concept", "tokenization"))
    required = graph_data(get(client, "kb:concept", "tokenization", recommended="false"))

    assert node_slugs(both) == {"tokenization", "bert", "gpt"}
    assert {edge["kind"] for edge in both["edges"]} == {"recommended"}
    assert node_slugs(required) == {"tokenization"}
    assert required["edges"] == []


def test_recommended_edges_among_required_neighbours_follow_the_toggle(client, kb):
    both = graph_data(get(client, "kb:concept", "bert"))
    required = graph_data(get(client, "kb:concept", "bert", recommended="false"))

    assert ("tokenization", "bert") in edge_pairs(both)
    assert "tokenization" not in node_slugs(required)
    assert edge_pairs(required) == {("transformer", "bert")}


def test_a_track_filter_marks_the_concepts_outside_the_track(client, kb):
    response = get(client, "kb:concept", "self-attention", depth=2, track="nlp")
    data = graph_data(response)

    assert response.status_code == 200
    in_track = {node["slug"]: node["in_track"] for node in data["nodes"]}
    assert in_track == {
        "calculus": False,
        "linear-algebra": False,
        "softmax": False,
        "self-attention": False,
        "transformer": True,
        "bert": True,
        "gpt": True,
    }
    weights = {node["slug"]: node["weight"] for node in data["nodes"]}
    assert (weights["transformer"], weights["gpt"], weights["softmax"]) == (1.0, 0.8, None)
    assert "not in the track" in response.content.decode()


def test_a_path_goal_highlights_the_chain_and_draws_it_past_the_depth(client, kb):
    response = get(client, "kb:concept", "self-attention", depth=1, to="rlhf")
    data = graph_data(response)

    assert response.status_code == 200
    assert data["path"] == ["self-attention", "transformer", "gpt", "rlhf"]
    on_path = {node["slug"] for node in data["nodes"] if node["on_path"]}
    assert on_path == {"self-attention", "transformer", "gpt", "rlhf"}
    assert {"gpt", "rlhf"} <= node_slugs(data)  # deeper than depth 1, drawn for the path
    assert "bert" not in node_slugs(data)
    assert {(e["from"], e["to"]) for e in data["edges"] if e["on_path"]} == {
        ("self-attention", "transformer"),
        ("transformer", "gpt"),
        ("gpt", "rlhf"),
    }
    depth = {node["slug"]: node["depth"] for node in data["nodes"]}
    assert (depth["gpt"], depth["rlhf"]) == (2, 3)
    assert "Path to Rlhf" in response.content.decode()


def test_the_path_goals_offered_are_what_builds_on_the_concept(client, kb):
    form = get(client, "kb:concept", "self-attention").context["form"]

    offered = [value for value, _ in form.fields["to"].choices if value]
    assert sorted(offered) == ["bert", "gpt", "rlhf", "transformer"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"to": "k-means"}, "K Means does not build on Self Attention"),
        ({"to": "calculus"}, "Calculus does not build on Self Attention"),
        ({"to": "self-attention"}, "Pick a concept other than Self Attention itself"),
        ({"to": "rhlf"}, "There is no concept 'rhlf' (did you mean: 'rlhf'?)"),
    ],
)
def test_a_path_goal_that_cannot_be_reached_is_explained(client, kb, params, message):
    response = get(client, "kb:concept", "self-attention", **params)

    assert response.status_code == 400
    assert any(message in problem for problem in problems(response)), problems(response)
    data = graph_data(response)
    assert data["path"] == []
    assert node_slugs(data) == {"self-attention", "linear-algebra", "softmax", "transformer"}


def test_a_goal_reached_only_through_recommended_edges_says_so(client, kb):
    response = get(client, "kb:concept", "tokenization", recommended="false", to="bert")

    assert response.status_code == 400
    assert "only through recommended edges" in problems(response)[0]
    ok = get(client, "kb:concept", "tokenization", to="bert")
    assert ok.status_code == 200
    assert graph_data(ok)["path"] == ["tokenization", "bert"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"depth": "99"}, "Depth must be a whole number from 1 to 4, not '99'; showing depth 1."),
        ({"depth": "abc"}, "Depth must be a whole number from 1 to 4, not 'abc'"),
        ({"depth": "0"}, "Depth must be a whole number from 1 to 4, not '0'"),
        ({"recommended": "maybe"}, "Edges must be 'true'"),
        ({"track": "nlpp"}, "There is no track 'nlpp' (did you mean: 'nlp'?)"),
        ({"track": "../x"}, "There is no track '../x'"),
    ],
)
def test_bad_graph_parameters_are_a_clear_message_and_the_defaults(client, kb, params, message):
    response = get(client, "kb:concept", "self-attention", **params)

    assert response.status_code == 400
    assert any(message in problem for problem in problems(response)), problems(response)
    assert message.split(" (")[0].replace("'", "&#x27;") in response.content.decode()
    data = graph_data(response)
    assert node_slugs(data) == {"self-attention", "linear-algebra", "softmax", "transformer"}
    assert all(node["in_track"] is None for node in data["nodes"])


def test_good_parameters_survive_a_bad_one(client, kb):
    response = get(client, "kb:concept", "self-attention", depth="2", track="nope", to="rlhf")

    assert response.status_code == 400
    assert len(problems(response)) == 1
    data = graph_data(response)
    assert "calculus" in node_slugs(data)  # depth 2 kept
    assert data["path"][-1] == "rlhf"  # and the path


def test_the_controls_show_the_values_in_use(client, kb):
    form = get(client, "kb:concept", "self-attention", depth="99", recommended="false").context[
        "form"
    ]

    assert form["depth"].value() == pages.DEFAULT_DEPTH
    assert form["recommended"].value() == "false"


def test_the_status_endpoint_is_handed_to_the_script_when_it_exists(client, kb):
    html = get(client, "kb:concept", "self-attention").content.decode()
    try:
        status_url = reverse("planner:concept-status")
    except NoReverseMatch:  # the planner's endpoint is not there yet: the graph works without
        status_url = ""
    assert f'data-status-url="{status_url}"' in html


def _grow(extra: int) -> None:
    """`extra` more concepts, in a chain hanging under self-attention, each with a reason."""
    previous = "self-attention"
    data = copy.deepcopy(KB)
    for index in range(extra):
        slug = f"extra-{index}"
        data["concepts"].append(concept(slug, 1))
        data["edges"].append({"from": previous, "to": slug, "reason": f"Step {index}."})
        data["tracks"][0]["concepts"].append({"concept": slug, "weight": 0.5})
        previous = slug
    io.import_text(json.dumps(data))


def _queries(client, name: str, *args, **params) -> int:
    kb_graph.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = get(client, name, *args, **params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("name", "args", "params", "most"),
    [
        ("kb:concept", ("self-attention",), {"depth": 4, "track": "nlp", "to": "rlhf"}, 13),
        ("kb:concept-list", (), {"track": "nlp", "q": "attention"}, 2),
        ("kb:track", ("nlp",), {"background": "ml-engineer"}, 10),
        ("kb:track-graph", ("nlp",), {"depth": 3, "recommended": "true"}, 7),
        # A cold start reads the revision once more for what is kept per revision; and the
        # team's must-have topics.
        ("kb:team", ("llm-research",), {"background": "ml-engineer"}, 13),
    ],
)
def test_query_counts_do_not_grow_with_the_graph(
    client, kb, django_assert_max_num_queries, name, args, params, most
):
    small = _queries(client, name, *args, **params)
    _grow(40)
    with django_assert_max_num_queries(most):
        large = _queries(client, name, *args, **params)
    assert large == small


# --- the concept list --------------------------------------------------------------------------


def titles(response) -> list[str]:
    return [c.title for c in response.context["page"].object_list]


def test_the_concept_list_filters_by_area_and_track(client, kb):
    assert titles(get(client, "kb:concept-list", area="math")) == ["Calculus", "Linear Algebra"]
    assert titles(get(client, "kb:concept-list", track="ml-fundamentals")) == [
        "K Means",
        "Self Attention",
        "Softmax",
    ]
    both = get(client, "kb:concept-list", track="ml-fundamentals", area="nlp")
    assert titles(both) == ["Self Attention"]
    assert len(titles(get(client, "kb:concept-list"))) == 10


def test_the_concept_list_searches_like_the_api(client, kb):
    response = get(client, "kb:concept-list", q="transformers")

    assert titles(response) == ["Transformer"]
    api = client.get("/api/v1/concepts/", {"q": "attention"}).json()
    page = get(client, "kb:concept-list", q="attention")
    assert [c.slug for c in page.context["page"].object_list] == [
        row["slug"] for row in api["results"]
    ]


def test_the_concept_list_is_paginated_and_keeps_its_filters(client, kb, monkeypatch):
    from kb import views

    monkeypatch.setattr(views, "PER_PAGE", 3)
    first = get(client, "kb:concept-list", area="nlp")
    second = get(client, "kb:concept-list", area="nlp", page=2)

    assert titles(first) == ["Bert", "Gpt", "Rlhf"]
    assert titles(second) == ["Self Attention", "Tokenization", "Transformer"]
    assert 'href="?area=nlp&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"area": "maths"}, "There is no area 'maths'; showing every area."),
        ({"track": "nlpp"}, "There is no track 'nlpp' (did you mean: 'nlp'?)"),
    ],
)
def test_bad_list_filters_are_a_clear_message(client, kb, params, message):
    response = get(client, "kb:concept-list", **params)

    assert response.status_code == 400
    assert problems(response) == [message + ("; showing every track." if "track" in params else "")]
    assert len(titles(response)) == 10


def test_a_nul_byte_in_the_search_is_dropped(client, kb):
    response = get(client, "kb:concept-list", q="soft\x00max")

    assert response.status_code == 200
    assert titles(response) == ["Softmax"]


# --- tracks ------------------------------------------------------------------------------------


def test_the_track_page_lists_its_weights_hours_teams_and_graph(client, kb):
    response = get(client, "kb:track", "nlp")

    assert response.status_code == 200
    weighted = [(row.concept.slug, row.weight) for row in response.context["weighted"]]
    assert weighted == [
        ("transformer", 1.0),
        ("bert", 0.9),
        ("gpt", 0.8),
        ("rlhf", 0.6),
        ("tokenization", 0.5),
    ]
    assert response.context["hours"] == 12.5  # 4 + 2 + 2 + 3 + 1.5
    html = response.content.decode()
    assert "12.5 h" in html
    assert 'href="/teams/llm-research/"' in html
    assert 'href="/tracks/nlp/graph/"' in html


def steps(response) -> list[str]:
    return [step.slug for step in response.context["order"].steps]


def test_the_learning_order_from_scratch_holds_every_prerequisite_first(client, kb):
    response = get(client, "kb:track", "nlp")
    order = steps(response)

    assert set(order) == {
        "calculus",
        "linear-algebra",
        "softmax",
        "self-attention",
        "transformer",
        "bert",
        "gpt",
        "rlhf",
        "tokenization",
    }  # fmt: skip  (tokenization is a target; recommended edges are not followed)
    for a, b in REASONS:
        if (a, b) not in RECOMMENDED:
            assert order.index(a) < order.index(b), (a, b)
    assert response.context["order"].hours == 19.0
    assert response.context["order"].steps[-1].cumulative_hours == 19.0


def test_the_learning_order_for_a_background_leaves_out_what_it_assumes(client, kb):
    response = get(client, "kb:track", "nlp", background="ml-engineer")
    order = response.context["order"]

    assert response.status_code == 200
    # softmax named, calculus required by it, linear-algebra in the known area math,
    # self-attention shaky: reviewed, not learned. The most weighed topics first, each
    # after what it still needs: tokenization (0.5) last, not first by graph position.
    assert steps(response) == ["transformer", "bert", "gpt", "rlhf", "tokenization"]
    assert order.reviewed == ["self-attention"]
    assert order.assumed_known == 3
    assert order.hours == 12.5
    assert [step.target for step in order.steps] == [True] * 5
    html = response.content.decode()
    assert "reviewed rather than learned" in html
    assert "With the ML engineer background" in html


def test_an_unknown_background_is_a_clear_message_and_the_order_from_scratch(client, kb):
    response = get(client, "kb:track", "nlp", background="ml-enginer")

    assert response.status_code == 400
    assert problems(response) == [
        "There is no background 'ml-enginer' (did you mean: 'ml-engineer'?); "
        "showing the order from scratch."
    ]
    assert len(steps(response)) == 9


def test_unknown_track_and_team_are_404s_that_suggest(client, kb):
    track = get(client, "kb:track", "nlpp")
    graph = get(client, "kb:track-graph", "nlpp")
    team = get(client, "kb:team", "llm-reserch")

    assert (track.status_code, graph.status_code, team.status_code) == (404, 404, 404)
    assert 'href="/tracks/nlp/"' in track.content.decode()
    assert 'href="/tracks/nlp/"' in graph.content.decode()
    assert 'href="/teams/llm-research/"' in team.content.decode()
    assert "No team “llm-reserch”" in team.content.decode()


@pytest.mark.parametrize(
    ("depth", "outside"),
    [
        (0, set()),
        (1, {"self-attention"}),
        (2, {"self-attention", "softmax", "linear-algebra"}),
        (3, {"self-attention", "softmax", "linear-algebra", "calculus"}),
    ],
)
def test_the_track_graph_draws_required_prerequisites_from_outside_faded(
    client, kb, depth, outside
):
    response = get(client, "kb:track-graph", "nlp", depth=depth)
    data = graph_data(response)

    track = {"transformer", "bert", "gpt", "rlhf", "tokenization"}
    assert node_slugs(data) == track | outside
    assert {n["slug"] for n in data["nodes"] if n["in_track"] is False} == outside
    assert {n["slug"] for n in data["nodes"] if n["side"] == "outside"} == outside
    assert response.context["outside"] == len(outside)


def test_the_track_graph_shows_recommended_edges_only_when_asked(client, kb):
    default = graph_data(get(client, "kb:track-graph", "nlp"))
    both = graph_data(get(client, "kb:track-graph", "nlp", recommended="true"))

    assert edge_pairs(default) == {
        ("self-attention", "transformer"),
        ("transformer", "bert"),
        ("transformer", "gpt"),
        ("gpt", "rlhf"),
    }
    assert edge_pairs(both) == edge_pairs(default) | RECOMMENDED
    reasons = {(e["from"], e["to"]): e["reason"] for e in both["edges"]}
    assert reasons[("tokenization", "gpt")] == REASONS["tokenization", "gpt"]


@pytest.mark.parametrize("depth", ["4", "-1", "x"])
def test_a_bad_track_graph_depth_is_a_clear_message(client, kb, depth):
    response = get(client, "kb:track-graph", "nlp", depth=depth)

    assert response.status_code == 400
    assert problems(response) == [
        f"Depth must be a whole number from 0 to 3, not {depth!r}; showing depth 1."
    ]
    assert "self-attention" in node_slugs(graph_data(response))


# --- teams -------------------------------------------------------------------------------------


def test_the_team_page_shows_its_loop_tracks_and_what_it_weighs_most(client, kb):
    response = get(client, "kb:team", "llm-research")

    assert response.status_code == 200
    top = [(slug, value) for slug, _, value, _ in response.context["top"]]
    assert top == [
        ("transformer", 1.0),
        ("bert", 0.9),
        ("gpt", 0.8),
        ("rlhf", 0.6),
        ("tokenization", 0.5),
        ("k-means", 0.3),
        ("softmax", 0.2),
        ("self-attention", 0.15),
    ]
    assert response.context["hours"] == 18.0  # the eight concepts' own hours
    assert [step.stage.slug for step in response.context["loop"]] == [
        "recruiter-screen",
        "ml-coding",
        "research-talk",
    ]
    html = response.content.decode()
    assert "Research scientist" in html
    assert "Pre-trains language models." in html
    assert 'href="/plans/new/?team=llm-research"' in html
    assert 'href="/tracks/ml-fundamentals/"' in html


def test_the_team_page_lists_the_topics_asked_in_every_loop(client, kb):
    assert "Asked in every loop" not in get(client, "kb:team", "llm-research").content.decode()
    TeamProfile.objects.get(slug="llm-research").must_have.add(
        Concept.objects.get(slug="transformer")
    )
    html = get(client, "kb:team", "llm-research").content.decode()
    assert "Asked in every loop" in html
    assert '<li><a href="/concepts/transformer/">' in html


def test_the_team_learning_order_starts_from_the_background(client, kb):
    scratch = get(client, "kb:team", "llm-research")
    engineer = get(client, "kb:team", "llm-research", background="ml-engineer")

    assert set(steps(scratch)) == {c["slug"] for c in KB["concepts"]}
    assert "k-means" in steps(engineer)
    assert not {"softmax", "calculus", "linear-algebra", "self-attention"} & set(steps(engineer))


def test_the_team_pages_plan_link_carries_the_background_shown(client, kb):
    html = get(client, "kb:team", "llm-research", background="ml-engineer").content.decode()
    assert 'href="/plans/new/?team=llm-research&amp;background=ml-engineer"' in html
    # An unknown background is a problem of the page, not something to pass on.
    html = get(client, "kb:team", "llm-research", background="astronaut").content.decode()
    assert 'href="/plans/new/?team=llm-research"' in html


def test_a_team_page_weighs_concepts_as_the_teams_plans_do(kb):
    team = selectors.team_page("llm-research")
    resolved = planner_services.resolve(
        planner_services.PlanInputs(
            team="llm-research",
            interview=date.today() + timedelta(days=20),
            hours_per_weekday=(2,) * 7,
        )
    )
    assert selectors.team_relevance(team) == resolved.request.relevance


# --- the pure page data ------------------------------------------------------------------------


def test_concept_graph_refuses_a_depth_outside_the_controls():
    graph = dag("a>b")
    with pytest.raises(ValueError, match="depth must be 1 to 4"):
        pages.concept_graph(graph, "a", depth=5)


def test_track_graph_walks_only_required_edges_to_the_outside():
    graph = dag("x>a", "y>x", recommended=("z>a",))

    view = pages.track_graph(graph, {"a": 1.0}, depth=3, include_recommended=True)

    assert view.slugs() == ["y", "x", "a"]
    assert [(e.source, e.target) for e in view.edges] == [("y", "x"), ("x", "a")]


def test_learning_order_counts_hours_and_marks_targets():
    graph = dag("a>b", "b>c", hours={"a": 1.5, "b": 2.0, "c": 0.25})

    order = pages.learning_order(graph, ["c"])

    assert [(s.slug, s.cumulative_hours, s.target) for s in order.steps] == [
        ("a", 1.5, False),
        ("b", 3.5, False),
        ("c", 3.75, True),
    ]
    assert order.statement is None and order.reviewed == []


def test_hours_are_written_as_people_write_them(client, kb):
    Concept.objects.filter(slug="softmax").update(hours="0.25")
    html = get(client, "kb:concept", "softmax").content.decode()

    assert "0.25 h" in html
    assert "0.50" not in get(client, "kb:track", "ml-fundamentals").content.decode()
