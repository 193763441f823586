import copy
import io as stdio
import json

import networkx as nx
import pytest

from kb import graph as kb_graph
from kb import io, revision
from kb.errors import ImportFailed
from kb.models import (
    Concept,
    InterviewStage,
    LoopStage,
    Prerequisite,
    Question,
    Resource,
    TeamProfile,
    Track,
)
from tests.kb.factories import make_edges

pytestmark = pytest.mark.django_db

SMALL = {
    "format": "prepgraph/1",
    "stages": [
        {"slug": "ml-coding", "title": "ML coding", "typical_minutes": 45, "order": 2},
        {"slug": "research-talk", "title": "Research talk", "typical_minutes": 60,
         "research_only": True, "order": 5},
    ],
    "concepts": [
        {"slug": "softmax", "title": "Softmax", "area": "fundamentals", "hours": 0.5,
         "difficulty": 1, "summary": "Turns scores into probabilities.", "stages": ["ml-coding"]},
        {"slug": "self-attention", "title": "Self-attention", "aliases": ["intra-attention"],
         "area": "nlp", "hours": 3, "stages": ["ml-coding"]},
        {"slug": "transformer", "title": "Transformer", "area": "nlp", "hours": 5},
    ],
    "edges": [
        {"from": "softmax", "to": "self-attention", "reason": "weights are a softmax"},
        {"from": "self-attention", "to": "transformer"},
    ],
    "resources": [
        {"title": "Attention Is All You Need", "url": "https://arxiv.org/abs/1706.03762",
         "kind": "paper", "minutes": 90, "concepts": ["self-attention", "transformer"]},
    ],
    "questions": [
        {"slug": "implement-attention", "text": "Implement attention in PyTorch.",
         "stage": "ml-coding", "concepts": ["self-attention", "softmax"], "source": "guide"},
    ],
    "tracks": [
        {"slug": "nlp", "title": "NLP", "concepts": [
            {"concept": "transformer", "weight": 1.0}, {"concept": "softmax", "weight": 0.3}]},
    ],
    "teams": [
        {"slug": "llm-research", "name": "LLM research", "role": "research-scientist",
         "tracks": [{"track": "nlp", "weight": 1.0}],
         "loop": [{"stage": "ml-coding", "minutes": 45},
                  {"stage": "research-talk", "minutes": 60}]},
    ],
}  # fmt: skip


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Concept, Prerequisite, Resource, Question, Track, TeamProfile, LoopStage)
    }


def import_problems(data) -> list[str]:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(ImportFailed) as error:
        io.import_text(text)
    return error.value.problems


def with_change(mutate) -> dict:
    data = copy.deepcopy(SMALL)
    mutate(data)
    return data


def test_import_creates_every_record_with_its_links():
    report = io.import_text(json.dumps(SMALL))
    assert report.created["concepts"] == 3 and report.created["edges"] == 2
    assert counts() == {
        "Concept": 3,
        "Prerequisite": 2,
        "Resource": 1,
        "Question": 1,
        "Track": 1,
        "TeamProfile": 1,
        "LoopStage": 2,
    }
    attention = Concept.objects.get(slug="self-attention")
    assert attention.aliases == ["intra-attention"]
    assert [s.slug for s in attention.stages.all()] == ["ml-coding"]
    assert set(attention.resources.values_list("url", flat=True)) == {
        "https://arxiv.org/abs/1706.03762"
    }
    team = TeamProfile.objects.get()
    assert list(team.loop.values_list("stage__slug", "order", "minutes")) == [
        ("ml-coding", 1, 45),
        ("research-talk", 2, 60),
    ]
    assert kb_graph.current_graph().has_edge("softmax", "self-attention")


def test_reimporting_the_same_file_changes_nothing():
    io.import_text(json.dumps(SMALL))
    before = counts()
    exported = io.export_data()
    report = io.import_text(json.dumps(SMALL))
    assert not report.changed
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert counts() == before
    assert io.export_data() == exported


def test_reimport_updates_by_slug_and_replaces_links():
    io.import_text(json.dumps(SMALL))

    def edit(data):
        data["concepts"][0]["title"] = "Softmax function"
        data["edges"][0]["kind"] = "recommended"
        data["resources"][0]["concepts"] = ["transformer"]

    report = io.import_text(json.dumps(with_change(edit)))
    assert report.updated["concepts"] == 1 and report.updated["edges"] == 1
    assert Concept.objects.get(slug="softmax").title == "Softmax function"
    assert Prerequisite.objects.get(concept__slug="self-attention").kind == "recommended"
    assert list(Resource.objects.get().concepts.values_list("slug", flat=True)) == ["transformer"]
    assert Concept.objects.count() == 3


def test_a_record_whose_links_alone_changed_is_reported_updated():
    io.import_text(json.dumps(SMALL))

    def edit(data):
        data["teams"][0]["tracks"][0]["weight"] = 0.5  # a team's weight for a track
        data["tracks"][0]["concepts"][0]["weight"] = 0.3  # a track's weight for a concept
        data["questions"][0]["concepts"] = [data["concepts"][-1]["slug"]]

    report = io.import_text(json.dumps(with_change(edit)))
    assert report.changed and report.links_changed
    for section in ("teams", "tracks", "questions"):
        assert report.updated[section] == 1, section
        assert f"{section}: 0 created, 1 updated" in "\n".join(report.lines())
    assert report.updated["concepts"] == 0  # their own links did not change
    again = io.import_text(json.dumps(with_change(edit)))
    assert not again.changed and sum(again.updated.values()) == 0


def test_export_then_import_round_trips():
    io.import_text(json.dumps(SMALL))
    exported = io.export_json()
    for model in (LoopStage, TeamProfile, Track, Question, Resource, Prerequisite):
        model.objects.all().delete()
    Concept.objects.all().delete()
    io.import_text(exported)
    assert io.export_json() == exported


def test_one_bad_record_imports_nothing():
    make_edges("existing>other")
    before = counts()
    problems = import_problems(
        with_change(lambda d: d["edges"].append({"from": "transformer", "to": "ghost"}))
    )
    assert problems == ["edges[2] (transformer -> ghost).to: unknown concept 'ghost'"]
    assert counts() == before


def test_malformed_json_names_line_and_column():
    assert import_problems('{"format": "prepgraph/1",\n "concepts": [}') == [
        "file: malformed JSON at line 2 column 15: Expecting value"
    ]


def test_not_an_object_is_refused():
    assert import_problems("[1, 2]") == ["file: expected a JSON object, got list"]


def test_wrong_format_marker_is_refused():
    problems = import_problems({"concepts": []})
    assert problems == ["format: Field required"]


def test_missing_fields_and_wrong_types_are_named_with_their_record():
    def damage(data):
        del data["concepts"][0]["area"]
        data["concepts"][1]["hours"] = "three"
        data["concepts"][2]["difficulty"] = 7
        data["resources"][0]["minutes"] = 0

    problems = import_problems(with_change(damage))
    assert "concepts[0] (slug 'softmax').area: Field required" in problems
    assert "concepts[1] (slug 'self-attention').hours: Input should be a valid number" in problems
    assert any(p.startswith("concepts[2] (slug 'transformer').difficulty:") for p in problems)
    assert any(
        p.startswith("resources[0] (url 'https://arxiv.org/abs/1706.03762').minutes:")
        for p in problems
    )
    assert Concept.objects.count() == 0


def test_unknown_fields_bad_slugs_and_bad_urls_are_refused():
    def damage(data):
        data["concepts"][0]["colour"] = "blue"
        data["concepts"][1]["slug"] = "Self Attention"
        data["resources"][0]["url"] = "not a url"

    problems = import_problems(with_change(damage))
    assert "concepts[0] (slug 'softmax').colour: Extra inputs are not permitted" in problems
    assert any(p.startswith("concepts[1] (slug 'Self Attention').slug:") for p in problems)
    assert any(p.startswith("resources[0] (url 'not a url').url:") for p in problems)


def test_duplicates_in_the_file_are_named():
    def damage(data):
        data["concepts"].append(dict(data["concepts"][0]))
        data["edges"].append({"from": "softmax", "to": "self-attention"})

    problems = import_problems(with_change(damage))
    assert "concepts[3]: duplicate slug 'softmax' (first at [0])" in problems
    assert "edges[2]: duplicate edge 'softmax -> self-attention' (first at [0])" in problems


def test_every_dangling_reference_is_named():
    def damage(data):
        data["concepts"][0]["stages"] = ["whiteboard"]
        data["questions"][0]["concepts"] = ["softmax", "nope"]
        data["tracks"][0]["concepts"].append({"concept": "nada", "weight": 0.5})
        data["teams"][0]["tracks"] = [{"track": "vision", "weight": 1.0}]

    problems = import_problems(with_change(damage))
    assert problems == [
        "concepts[0] (slug 'softmax').stages: unknown stage 'whiteboard'",
        "questions[0] (slug 'implement-attention').concepts: unknown concept 'nope'",
        "tracks[0] (slug 'nlp').concepts: unknown concept 'nada'",
        "teams[0] (slug 'llm-research').tracks: unknown track 'vision'",
    ]


def test_a_teams_must_have_topics_are_imported_and_exported():
    data = copy.deepcopy(SMALL)
    data["teams"][0]["must_have"] = ["transformer"]
    io.import_text(json.dumps(data))
    team = TeamProfile.objects.get(slug="llm-research")
    assert list(team.must_have.values_list("slug", flat=True)) == ["transformer"]
    assert io.export_data()["teams"][0]["must_have"] == ["transformer"]
    data["teams"][0]["must_have"] = []  # the file says none now: none stored
    io.import_text(json.dumps(data))
    assert not team.must_have.exists()


def test_a_stages_essentials_are_imported_exported_and_replaced_by_the_file():
    data = copy.deepcopy(SMALL)
    data["stages"][0]["essentials"] = ["transformer", "softmax"]  # ml-coding
    io.import_text(json.dumps(data))
    stage = InterviewStage.objects.get(slug="ml-coding")
    assert sorted(stage.essentials.values_list("slug", flat=True)) == ["softmax", "transformer"]
    exported = {s["slug"]: s["essentials"] for s in io.export_data()["stages"]}
    assert exported["ml-coding"] == ["transformer", "softmax"]  # the file's order
    assert exported["research-talk"] == []
    token = revision.current(fresh=True)
    data["stages"][0]["essentials"] = []  # the file says none now: none stored
    report = io.import_text(json.dumps(data))
    assert not stage.essentials.exists() and report.updated["stages"] == 1
    assert revision.current(fresh=True) != token  # plans see the change
    # A stage the file does not list keeps what it has.
    stage.essentials.add(Concept.objects.get(slug="softmax"))
    io.import_text(json.dumps({"format": "prepgraph/1", "stages": []}))
    assert list(stage.essentials.values_list("slug", flat=True)) == ["softmax"]


def test_an_unknown_or_repeated_essential_is_named_and_nothing_stored():
    before = counts()
    problems = import_problems(
        with_change(lambda d: d["stages"][0].update(essentials=["nope", "softmax", "softmax"]))
    )
    assert problems == [
        "stages[0] (slug 'ml-coding').essentials: unknown concept 'nope'",
        "stages[0] (slug 'ml-coding').essentials: concept 'softmax' listed 2 times",
    ]
    assert counts() == before


def test_a_must_have_unknown_or_outside_the_teams_tracks_is_named_and_nothing_stored():
    before = counts()
    problems = import_problems(
        with_change(lambda d: d["teams"][0].update(must_have=["self-attention", "nope"]))
    )
    assert problems == [
        "teams[0] (slug 'llm-research').must_have: unknown concept 'nope'",
        "teams[0] (slug 'llm-research').must_have: 'self-attention' is in none of the team's "
        "tracks; add it to one of them first",
    ]
    assert counts() == before


def test_a_cycle_in_the_file_is_named():
    problems = import_problems(
        with_change(lambda d: d["edges"].append({"from": "transformer", "to": "softmax"}))
    )
    assert problems == ["edges: cycle: self-attention -> transformer -> softmax -> self-attention"]


def test_a_cycle_with_stored_edges_is_refused():
    io.import_text(json.dumps(SMALL))
    problems = import_problems(
        {"format": "prepgraph/1", "edges": [{"from": "transformer", "to": "softmax"}]}
    )
    assert len(problems) == 1 and problems[0].startswith("edges: cycle:")
    assert Prerequisite.objects.count() == 2


def test_self_loop_in_the_file_is_named():
    problems = import_problems(
        with_change(lambda d: d["edges"].append({"from": "softmax", "to": "softmax"}))
    )
    assert "edges[2] (softmax -> softmax): a concept cannot be its own prerequisite" in problems


def test_a_partial_file_may_reference_stored_concepts():
    io.import_text(json.dumps(SMALL))
    io.import_text(
        json.dumps(
            {
                "format": "prepgraph/1",
                "concepts": [{"slug": "bert", "title": "BERT", "area": "nlp", "hours": 3}],
                "edges": [{"from": "transformer", "to": "bert"}],
            }
        )
    )
    assert kb_graph.current_graph().has_edge("transformer", "bert")


def test_dry_run_checks_but_writes_nothing():
    report = io.import_text(json.dumps(SMALL), dry_run=True)
    assert report.created["concepts"] == 3
    assert counts()["Concept"] == 0


def test_graphml_export_loads_back_with_its_attributes():
    io.import_text(json.dumps(SMALL))
    text = io.to_graphml(kb_graph.current_graph())
    loaded = nx.read_graphml(stdio.BytesIO(text.encode()))
    assert set(loaded.edges) == {("softmax", "self-attention"), ("self-attention", "transformer")}
    attention = loaded.nodes["self-attention"]
    assert attention == {
        "title": "Self-attention",
        "area": "nlp",
        "hours": 3.0,
        "aliases": "intra-attention",
    }
    assert loaded.edges["softmax", "self-attention"]["kind"] == "required"


def test_dot_export_quotes_titles_and_dashes_recommended_edges():
    graph = nx.DiGraph()
    graph.add_node("a", title='Say "hi"')
    graph.add_node("b", title="B")
    graph.add_edge("a", "b", kind="recommended")
    assert io.to_dot(graph).splitlines()[3:6] == [
        '  "a" [label="Say \\"hi\\""];',
        '  "b" [label="B"];',
        '  "a" -> "b" [style=dashed];',
    ]


def test_mermaid_export_uses_safe_ids():
    graph = nx.DiGraph()
    graph.add_node("self-attention", title="Self-attention")
    graph.add_node("transformer", title='The "Transformer"')
    graph.add_edge("self-attention", "transformer", kind="required")
    assert io.to_mermaid(graph).splitlines() == [
        "flowchart LR",
        '  c_self_attention["Self-attention"]',
        '  c_transformer["The #quot;Transformer#quot;"]',
        "  c_self_attention --> c_transformer",
    ]


def test_a_nul_character_is_refused_with_its_place():
    # PostgreSQL text columns cannot store NUL: refuse it before writing anything.
    problems = import_problems(with_change(lambda d: d["concepts"][0].update(summary="a\u0000b")))
    assert any(p.startswith("concepts[0] (slug 'softmax').summary:") for p in problems)
    assert Concept.objects.count() == 0
