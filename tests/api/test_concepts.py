from pathlib import Path

import pytest

from kb import io as kb_io
from kb import search as kb_search
from kb.models import Concept, InterviewStage, Prerequisite
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/concepts/"


def slugs(response) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


# --- reading ---------------------------------------------------------------------------------


def test_anyone_can_list_concepts_page_by_page(small_kb, anon):
    response = anon.get(URL, {"page_size": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert slugs(response) == ["bert", "k-means", "linear-algebra"]
    assert body["next"].endswith("page=2&page_size=3")
    assert body["results"][0] == {
        "slug": "bert",
        "title": "Bert",
        "aliases": [],
        "summary": "",
        "area": "nlp",
        "hours": 2.0,
        "difficulty": 2,
        "stages": [],
    }


def test_a_page_size_over_the_maximum_is_refused_not_clamped(small_kb, anon):
    response = anon.get(URL, {"page_size": 201})
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "page_size: At most 200 per page, got 201."
    assert error["details"]["field"] == "page_size"


@pytest.mark.parametrize("page_size", ["0", "-1", "ten", ""])
def test_a_page_size_that_is_not_a_positive_number_is_refused(small_kb, anon, page_size):
    response = anon.get(URL, {"page_size": page_size})
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == "page_size"


def test_a_malformed_page_is_a_400_and_a_page_past_the_end_a_404(small_kb, anon):
    assert error_of(anon.get(URL, {"page": "two"}))["details"]["field"] == "page"
    response = anon.get(URL, {"page": 9})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_query_parameter_given_twice_is_refused(small_kb, anon):
    response = anon.get(URL + "?page=1&page=2")
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("page: Given more than once")


def test_search_matches_title_alias_and_summary_case_insensitively(small_kb, anon):
    Concept.objects.filter(slug="self-attention").update(aliases=["Scaled dot-product attention"])
    Concept.objects.filter(slug="k-means").update(summary="Clustering by nearest CENTROID.")
    assert slugs(anon.get(URL, {"q": "DOT-PRODUCT"})) == ["self-attention"]
    assert slugs(anon.get(URL, {"q": "centroid"})) == ["k-means"]
    assert slugs(anon.get(URL, {"q": "Transf"})) == ["transformer"]
    assert slugs(anon.get(URL, {"q": "no such thing"})) == []


def test_filters_by_area_track_stage_and_difficulty(small_kb, anon):
    Concept.objects.get(slug="softmax").stages.add(InterviewStage.objects.get(slug="ml-coding"))
    Concept.objects.filter(slug="bert").update(difficulty=3)
    assert slugs(anon.get(URL, {"area": "fundamentals"})) == ["k-means", "softmax"]
    assert slugs(anon.get(URL, {"track": "nlp"})) == ["bert", "tokenization", "transformer"]
    assert slugs(anon.get(URL, {"stage": "ml-coding"})) == ["softmax"]
    assert slugs(anon.get(URL, {"difficulty": 3})) == ["bert"]
    assert slugs(anon.get(URL, {"track": "nlp", "difficulty": 2})) == [
        "tokenization",
        "transformer",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"area": "astrology"}, "area"),
        ({"area": ""}, "area"),
        ({"track": "ghost"}, "track"),
        ({"stage": "ghost"}, "stage"),
        ({"difficulty": 7}, "difficulty"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(small_kb, anon, params, field):
    response = anon.get(URL, params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert error["message"].startswith(f"{field}: ")


def test_detail_shows_direct_prerequisites_dependents_resources_and_questions(small_kb, anon):
    response = anon.get(URL + "transformer/")
    assert response.status_code == 200
    body = response.json()
    assert [(p["slug"], p["kind"]) for p in body["prerequisites"]] == [
        ("self-attention", "required")
    ]
    assert [d["slug"] for d in body["dependents"]] == ["bert"]
    assert [r["title"] for r in body["resources"]] == ["Attention paper"]
    assert body["questions"] == [
        {"slug": "what-is-bert", "text": "What is BERT?", "stage": "ml-concepts"}
    ]
    assert body["tracks"] == [{"track": "nlp", "weight": 0.9}]
    edge = Prerequisite.objects.get(concept__slug="transformer")
    assert body["prerequisites"][0]["edge"] == edge.pk


def test_an_unknown_slug_is_a_404_naming_it(small_kb, anon):
    response = anon.get(URL + "ghost/")
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "no concept 'ghost'",
        "details": {},
    }


def test_the_trailing_slash_is_optional(small_kb, anon):
    assert anon.get("/api/v1/concepts").status_code == 200
    assert anon.get("/api/v1/concepts/bert").status_code == 200


def test_prerequisites_come_in_learning_order_with_their_distance(small_kb, anon):
    response = anon.get(URL + "bert/prerequisites")
    assert response.status_code == 200
    body = response.json()
    assert [(c["slug"], c["distance"]) for c in body["results"]] == [
        ("linear-algebra", 3),
        ("softmax", 3),
        ("self-attention", 2),
        ("tokenization", 1),
        ("transformer", 1),
    ]
    assert body["hours"] == 11.0


def test_depth_and_recommended_narrow_the_prerequisites(small_kb, anon):
    response = anon.get(URL + "bert/prerequisites", {"depth": 1, "recommended": "false"})
    assert [c["slug"] for c in response.json()["results"]] == ["transformer"]


def test_dependents_come_in_learning_order(small_kb, anon):
    response = anon.get(URL + "softmax/dependents", {"depth": 2})
    assert [(c["slug"], c["distance"]) for c in response.json()["results"]] == [
        ("self-attention", 1),
        ("transformer", 2),
    ]


@pytest.mark.parametrize("depth", ["0", "51", "deep"])
def test_a_bad_depth_is_a_400(small_kb, anon, depth):
    response = anon.get(URL + "bert/prerequisites", {"depth": depth})
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == "depth"


def test_neighbours_of_an_unknown_concept_are_a_404(small_kb, anon):
    response = anon.get(URL + "ghost/dependents")
    assert response.status_code == 404
    assert error_of(response)["message"] == "no concept 'ghost'"


# --- writing (staff only) ---------------------------------------------------------------------

NEW = {
    "slug": "layer-norm",
    "title": "Layer normalization",
    "aliases": ["layernorm"],
    "summary": "Normalises activations per example.",
    "area": "deep-learning",
    "hours": 1.5,
    "difficulty": 2,
    "stages": ["ml-concepts"],
}


def test_staff_create_a_concept(small_kb, client_staff):
    response = client_staff.post(URL, NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "layer-norm"
    assert body["hours"] == 1.5
    assert body["stages"] == ["ml-concepts"]
    assert body["prerequisites"] == []
    concept = Concept.objects.get(slug="layer-norm")
    assert concept.aliases == ["layernorm"]


def test_anonymous_writes_are_401_and_a_normal_users_are_403(small_kb, anon, client_alice):
    response = anon.post(URL, NEW, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"
    response = client_alice.post(URL, NEW, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert client_alice.delete(URL + "bert/").status_code == 403
    assert not Concept.objects.filter(slug="layer-norm").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Layer Norm"}, "slug"),
        ({"slug": "bert"}, "slug"),
        ({"area": "astrology"}, "area"),
        ({"hours": 0}, "hours"),
        ({"hours": "1.5"}, "hours"),
        ({"difficulty": "2"}, "difficulty"),
        ({"stages": ["ghost"]}, "stages"),
        ({"stages": {}}, "stages"),
        ({"title": ""}, "title"),
    ],
)
def test_a_bad_concept_is_refused_naming_the_field(small_kb, client_staff, change, field):
    response = client_staff.post(URL, {**NEW, **change}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert error["message"].startswith(f"{field}: ")
    assert not Concept.objects.filter(title="Layer normalization").exists()


def test_staff_change_a_concept_with_put_or_patch(small_kb, client_staff):
    response = client_staff.patch(URL + "bert/", {"summary": "An encoder."}, format="json")
    assert response.status_code == 200
    assert response.json()["summary"] == "An encoder."
    assert response.json()["title"] == "Bert"
    full = {"slug": "bert", "title": "BERT", "area": "nlp", "hours": 3, "stages": ["ml-coding"]}
    response = client_staff.put(URL + "bert/", full, format="json")
    assert response.status_code == 200
    concept = Concept.objects.get(slug="bert")
    assert (concept.title, float(concept.hours)) == ("BERT", 3.0)
    assert list(concept.stages.values_list("slug", flat=True)) == ["ml-coding"]


def test_a_concepts_slug_cannot_change(small_kb, client_staff):
    response = client_staff.patch(URL + "bert/", {"slug": "bert-base"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == "slug"


def test_a_put_without_the_required_fields_is_refused(small_kb, client_staff):
    response = client_staff.put(URL + "bert/", {"summary": "x"}, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["details"]["fields"]) == {"slug", "title", "area"}


def test_deleting_a_concept_others_depend_on_is_a_409_naming_them(small_kb, client_staff):
    response = client_staff.delete(URL + "transformer/")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "concept_has_dependents"
    assert error["details"]["dependents"] == ["bert"]
    assert Concept.objects.filter(slug="transformer").exists()


def test_deleting_with_reconnect_links_prerequisites_to_dependents(small_kb, client_staff):
    response = client_staff.delete(URL + "transformer/?reconnect=true")
    assert response.status_code == 204
    assert not Concept.objects.filter(slug="transformer").exists()
    assert Prerequisite.objects.filter(
        prerequisite__slug="self-attention", concept__slug="bert", kind="required"
    ).exists()


def test_deleting_an_unknown_concept_is_a_404(small_kb, client_staff):
    assert client_staff.delete(URL + "ghost/").status_code == 404


def test_a_concept_write_changes_the_graph_at_once(small_kb, client_staff, anon):
    assert anon.get(URL + "transformer/prerequisites").status_code == 200  # graph cached
    client_staff.delete(URL + "transformer/?reconnect=true")
    assert anon.get(URL + "transformer/prerequisites").status_code == 404


# --- search and suggestions (kb.search) ------------------------------------------------------

SHIPPED = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"


@pytest.fixture
def shipped(db):
    kb_io.import_text(SHIPPED.read_bytes())


def test_search_finds_what_candidates_call_concepts_best_first(shipped, anon):
    found = slugs(anon.get(URL, {"q": "transformers", "page_size": 4}))
    assert found[:2] == ["transformer-architecture", "vision-transformer"]
    assert len(found) == 4
    assert slugs(anon.get(URL, {"q": "rag"}))[0] == "retrieval-augmented-generation"
    assert slugs(anon.get(URL, {"q": "tokenizer"}))[0] == "tokenization"
    assert slugs(anon.get(URL, {"q": "embedding"}))[0] == "embeddings"
    assert slugs(anon.get(URL, {"q": "attention"}))[:2] == ["self-attention", "attention-mechanism"]


def test_search_pages_keep_their_shape_and_combine_with_filters(shipped, anon):
    body = anon.get(URL, {"q": "transformers", "page_size": 2, "page": 2}).json()
    assert body["count"] == len(kb_search.search_concepts("transformers", Concept.objects.all()))
    first_two = slugs(anon.get(URL, {"q": "transformers", "page_size": 2}))
    all_four = slugs(anon.get(URL, {"q": "transformers", "page_size": 4}))
    assert [row["slug"] for row in body["results"]] == all_four[2:]
    assert first_two == all_four[:2]
    assert body["previous"] and body["next"]
    assert set(body["results"][0]) == {
        "slug", "title", "aliases", "summary", "area", "hours", "difficulty", "stages",
    }  # fmt: skip
    in_cv = slugs(anon.get(URL, {"q": "transformers", "area": "cv"}))
    assert in_cv[0] == "vision-transformer" and "video-understanding" in in_cv
    assert set(in_cv) == {
        c.slug for c in kb_search.search_concepts("transformers", Concept.objects.filter(area="cv"))
    }
    assert slugs(anon.get(URL, {"q": "   "})) == slugs(anon.get(URL))


@pytest.mark.parametrize(
    "query",
    ["transformers", "pretraining", "kmeans", "a/b testing", "fine tuning", "rag", "transf",
     "self-attention", "Fréchet", "ANN", "token", "learning rate", "gpt2", "bm25"],
)  # fmt: skip
def test_narrowing_in_sql_loses_no_match_of_the_python_ranking(shipped, anon, query):
    expected = [c.slug for c in kb_search.search_concepts(query, Concept.objects.all())]
    assert expected
    assert slugs(anon.get(URL, {"q": query, "page_size": 200})) == expected


def test_an_unknown_concept_in_the_url_suggests_the_one_meant(small_kb, anon):
    response = anon.get(URL + "transfomer/")
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "no concept 'transfomer' (did you mean: 'transformer'?)",
        "details": {"suggestions": {"transfomer": ["transformer"]}},
    }
    response = anon.get(URL + "self-atention/prerequisites/")
    assert response.status_code == 404
    assert error_of(response)["message"].startswith(
        "no concept 'self-atention' (did you mean: 'self-attention'"
    )


def test_unknown_teams_and_tracks_in_the_url_suggest_the_slug_meant(small_kb, anon):
    team = error_of(anon.get("/api/v1/teams/llm-reserch/"))
    assert team["message"] == "no team profile 'llm-reserch' (did you mean: 'llm-research'?)"
    assert team["details"] == {"suggestions": {"llm-reserch": ["llm-research"]}}
    track = error_of(anon.get("/api/v1/tracks/nlpp/"))
    assert track["message"] == "no track 'nlpp' (did you mean: 'nlp'?)"


def test_an_unknown_slug_in_a_filter_is_a_400_suggesting_the_slug_meant(small_kb, anon):
    response = anon.get(URL, {"track": "nlpp"})
    assert response.status_code == 400
    assert error_of(response)["message"] == "track: unknown track 'nlpp' (did you mean: 'nlp'?)"
    message = error_of(anon.get("/api/v1/questions/", {"concept": "transfomer"}))["message"]
    assert message == "concept: unknown concept 'transfomer' (did you mean: 'transformer'?)"


def test_an_unknown_target_of_a_learning_path_is_a_400_suggesting_the_concept(shipped, anon):
    response = anon.get("/api/v1/graph/learning-path/", {"targets": "transfomer"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "unknown_concept"
    assert error["message"].startswith(
        "targets: unknown concept 'transfomer' (did you mean: 'transformer-architecture'"
    )
    assert error["details"]["field"] == "targets"
    assert error["details"]["suggestions"]["transfomer"][0] == "transformer-architecture"
