"""Tracks, teams, questions, resources and stages: read-only lists and details."""

import pytest

from kb.models import Concept, InterviewStage, Resource, TeamProfile
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

V1 = "/api/v1/"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_tracks_list_their_weighted_concepts(small_kb, anon):
    tracks = results(anon.get(V1 + "tracks/"))
    assert [t["slug"] for t in tracks] == ["ml-fundamentals", "nlp"]
    detail = anon.get(V1 + "tracks/nlp/").json()
    assert detail["concepts"] == [
        {"concept": "bert", "weight": 1.0},
        {"concept": "transformer", "weight": 0.9},
        {"concept": "tokenization", "weight": 0.5},
    ]


def test_teams_list_their_tracks_and_loop(small_kb, anon):
    assert [t["slug"] for t in results(anon.get(V1 + "teams/"))] == ["ads-ranking", "llm-research"]
    team = anon.get(V1 + "teams/llm-research/").json()
    assert team["role"] == "research-scientist"
    assert team["tracks"] == [
        {"track": "nlp", "weight": 1.0},
        {"track": "ml-fundamentals", "weight": 0.3},
    ]
    assert [(s["order"], s["stage"], s["minutes"]) for s in team["loop"]][:2] == [
        (1, "recruiter-screen", 30),
        (2, "ml-coding", 45),
    ]
    assert team["must_have"] == []
    TeamProfile.objects.get(slug="llm-research").must_have.add(
        Concept.objects.get(slug="transformer")
    )
    assert anon.get(V1 + "teams/llm-research/").json()["must_have"] == ["transformer"]


def test_questions_filter_by_stage_and_concept(small_kb, anon):
    assert [q["slug"] for q in results(anon.get(V1 + "questions/", {"stage": "ml-coding"}))] == [
        "implement-attention"
    ]
    by_concept = results(anon.get(V1 + "questions/", {"concept": "bert"}))
    assert by_concept == [
        {
            "slug": "what-is-bert",
            "text": "What is BERT?",
            "stage": "ml-concepts",
            "concepts": ["bert", "transformer"],
            "source": "",
            "answer_outline": "",
        }
    ]
    assert anon.get(V1 + "questions/what-is-bert/").json()["stage"] == "ml-concepts"


def test_resources_filter_by_kind_and_concept(small_kb, anon):
    papers = results(anon.get(V1 + "resources/", {"kind": "paper"}))
    assert [r["title"] for r in papers] == ["Attention paper", "BERT paper"]
    for_softmax = results(anon.get(V1 + "resources/", {"concept": "softmax"}))
    assert [r["title"] for r in for_softmax] == ["Linear algebra notes"]
    pk = Resource.objects.get(title="BERT paper").pk
    assert anon.get(f"{V1}resources/{pk}/").json()["concepts"] == ["bert"]


def test_stages_come_in_loop_order(small_kb, anon):
    stages = results(anon.get(V1 + "stages/"))
    assert [s["slug"] for s in stages][:3] == ["recruiter-screen", "ml-coding", "ml-concepts"]
    assert anon.get(V1 + "stages/research-talk/").json()["research_only"] is True
    assert all(s["essentials"] == [] for s in stages)


def test_a_stage_lists_its_essentials(small_kb, anon):
    stage = InterviewStage.objects.get(slug="ml-coding")
    stage.essentials.add(*Concept.objects.filter(slug__in=["softmax", "linear-algebra"]))
    found = anon.get(V1 + "stages/ml-coding/").json()["essentials"]
    assert found == ["linear-algebra", "softmax"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tracks/ghost/", "no track 'ghost'"),
        ("teams/ghost/", "no team profile 'ghost'"),
        ("questions/ghost/", "no question 'ghost'"),
        ("stages/ghost/", "no interview stage 'ghost'"),
        ("resources/999999/", "no resource '999999'"),
    ],
)
def test_an_unknown_row_is_a_404_naming_it(small_kb, anon, path, message):
    response = anon.get(V1 + path)
    assert response.status_code == 404
    assert error_of(response)["message"] == message


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("questions/", {"stage": "ghost"}, "stage"),
        ("questions/", {"concept": "ghost"}, "concept"),
        ("resources/", {"kind": "podcast"}, "kind"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(small_kb, anon, path, params, field):
    response = anon.get(V1 + path, params)
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == field


@pytest.mark.parametrize("path", ["tracks/", "teams/", "questions/", "resources/", "stages/"])
def test_the_catalog_is_read_only_even_for_staff(small_kb, client_staff, path):
    response = client_staff.post(V1 + path, {}, format="json")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
