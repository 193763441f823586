"""Background presets in the knowledge base: the interchange format, the model, the admin,
and the presets we ship."""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from kb import graph as kb_graph
from kb import io
from kb.errors import ImportFailed
from kb.interchange import Interchange
from kb.models import Background, Concept
from planner.background import assume, presets
from tests.small_kb import SMALL_KB

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"


def with_backgrounds(*records: dict) -> str:
    data = copy.deepcopy(SMALL_KB)
    data["backgrounds"] = list(records)
    return json.dumps(data)


def record(**changes) -> dict:
    values = {
        "slug": "ml-engineer",
        "title": "ML engineer",
        "description": "Trains models.",
        "known_concepts": ["softmax", "transformer"],
        "shaky_concepts": ["bert"],
        "known_areas": ["math"],
        "shaky_areas": ["cv"],
    }
    return values | changes


def problems_of(text: str) -> list[str]:
    with pytest.raises(ImportFailed) as error:
        io.import_text(text)
    return error.value.problems


def test_import_stores_a_background_with_its_concepts_and_areas():
    report = io.import_text(with_backgrounds(record()))
    assert report.created["backgrounds"] == 1
    background = Background.objects.get(slug="ml-engineer")
    assert sorted(background.known_concepts.values_list("slug", flat=True)) == [
        "softmax",
        "transformer",
    ]
    assert list(background.shaky_concepts.values_list("slug", flat=True)) == ["bert"]
    assert (background.known_areas, background.shaky_areas) == (["math"], ["cv"])
    assert "backgrounds: 1 created, 0 updated, 0 unchanged" in report.lines()


def test_reimporting_a_background_changes_nothing():
    io.import_text(with_backgrounds(record()))
    report = io.import_text(with_backgrounds(record()))
    assert not report.changed
    assert report.unchanged["backgrounds"] == 1


def test_reimport_updates_a_background_and_replaces_its_lists():
    io.import_text(with_backgrounds(record()))
    changed = record(title="ML eng", known_concepts=["k-means"], shaky_concepts=[], shaky_areas=[])
    report = io.import_text(with_backgrounds(changed))
    assert report.updated["backgrounds"] == 1 and report.links_changed
    background = Background.objects.get()
    assert background.title == "ML eng"
    assert list(background.known_concepts.values_list("slug", flat=True)) == ["k-means"]
    assert not background.shaky_concepts.exists()
    assert background.shaky_areas == []


def test_export_then_import_round_trips_backgrounds():
    io.import_text(with_backgrounds(record(), record(slug="new", title="New", known_areas=[])))
    exported = io.export_data()
    assert exported["backgrounds"][0] == {
        "slug": "ml-engineer",
        "title": "ML engineer",
        "description": "Trains models.",
        "known_concepts": ["softmax", "transformer"],
        "shaky_concepts": ["bert"],
        "known_areas": ["math"],
        "shaky_areas": ["cv"],
    }
    assert [b["slug"] for b in exported["backgrounds"]] == ["ml-engineer", "new"]
    Background.objects.all().delete()
    report = io.import_text(json.dumps(exported))
    assert report.created["backgrounds"] == 2
    assert io.export_data() == exported
    assert not io.import_text(json.dumps(exported)).changed


@pytest.mark.parametrize(
    ("background", "problem"),
    [
        (
            record(known_concepts=["softmax", "ghost"]),
            "backgrounds[0] (slug 'ml-engineer').known_concepts: unknown concept 'ghost'",
        ),
        (
            record(shaky_concepts=["bert", "bert"]),
            "backgrounds[0] (slug 'ml-engineer').shaky_concepts: concept 'bert' listed 2 times",
        ),
        (
            record(shaky_concepts=["softmax"]),
            "backgrounds[0] (slug 'ml-engineer'): concept 'softmax' is both known and shaky; "
            "pick one",
        ),
        (
            record(shaky_areas=["math"]),
            "backgrounds[0] (slug 'ml-engineer'): area 'math' is both known and shaky; pick one",
        ),
        (
            record(known_areas=["math", "math"]),
            "backgrounds[0] (slug 'ml-engineer').known_areas: area 'math' listed 2 times",
        ),
    ],
)
def test_a_bad_reference_in_a_background_is_named_and_nothing_is_imported(background, problem):
    assert problem in problems_of(with_backgrounds(background))
    assert not Concept.objects.exists() and not Background.objects.exists()


def test_an_unknown_area_is_named_with_its_place():
    problems = problems_of(with_backgrounds(record(known_areas=["math", "maths"])))
    assert len(problems) == 1
    assert problems[0].startswith(
        "backgrounds[0] (slug 'ml-engineer').known_areas[1]: Input should"
    )
    assert "'math'" in problems[0]


def test_duplicate_background_slugs_are_named():
    problems = problems_of(with_backgrounds(record(), record(title="Again")))
    assert "backgrounds[1]: duplicate slug 'ml-engineer' (first at [0])" in problems


def test_wrong_types_and_unknown_fields_in_a_background_are_named():
    problems = problems_of(with_backgrounds(record(known_concepts="softmax", level=3)))
    assert any(
        p.startswith("backgrounds[0] (slug 'ml-engineer').known_concepts:") for p in problems
    )
    assert any(p.startswith("backgrounds[0] (slug 'ml-engineer').level:") for p in problems)


def test_a_background_may_reference_stored_concepts():
    io.import_text(json.dumps(SMALL_KB))
    only = {"format": "prepgraph/1", "backgrounds": [record(slug="researcher")]}
    assert io.import_text(json.dumps(only)).created["backgrounds"] == 1


def test_the_json_schema_describes_backgrounds():
    out = StringIO()
    call_command("export_graph", "--format", "schema", stdout=out)
    schema = json.loads(out.getvalue())
    assert "BackgroundRecord" in schema["$defs"]
    assert schema["properties"]["backgrounds"]["items"] == {"$ref": "#/$defs/BackgroundRecord"}
    assert Interchange.model_json_schema()["$defs"]["BackgroundRecord"]["additionalProperties"] is (
        False
    )


def test_the_model_refuses_unknown_repeated_or_contradictory_areas():
    background = Background(slug="x", title="X", known_areas=["maths"])
    with pytest.raises(ValidationError, match="Unknown area 'maths'"):
        background.full_clean()
    background.known_areas = ["math", "math"]
    with pytest.raises(ValidationError, match="listed twice"):
        background.full_clean()
    background.known_areas, background.shaky_areas = ["math"], ["math"]
    with pytest.raises(ValidationError, match="also a known area"):
        background.full_clean()
    background.shaky_areas = ["nlp"]
    background.full_clean()


def test_the_admin_lists_backgrounds_and_refuses_known_and_shaky_at_once(admin_client):
    io.import_text(with_backgrounds(record()))
    response = admin_client.get(reverse("admin:kb_background_changelist"), {"q": "ml"})
    assert response.status_code == 200
    assert b"ML engineer" in response.content
    softmax = Concept.objects.get(slug="softmax").pk
    response = admin_client.post(
        reverse("admin:kb_background_add"),
        {
            "slug": "both",
            "title": "Both",
            "known_concepts": [softmax],
            "shaky_concepts": [softmax],
            "known_areas": ["math"],
            "shaky_areas": ["math"],
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["shaky_concepts"] == ["Also known: softmax. Pick one."]
    assert errors["shaky_areas"] == ["Also known: math. Pick one."]
    assert not Background.objects.filter(slug="both").exists()


# --- the presets we ship -----------------------------------------------------------------------

SHIPPED = ("new-to-ml", "software-engineer", "ml-engineer", "ml-researcher")


@pytest.fixture
def shipped():
    io.import_text(FIXTURE.read_bytes())
    graph = kb_graph.current_graph()
    return {row.slug: (row, assume(graph, preset=preset)) for row, preset in presets()}


def test_the_shipped_backgrounds_cover_the_usual_candidates(shipped):
    assert set(SHIPPED) <= set(shipped)
    for slug, (row, assumed) in shipped.items():
        sentences = row.description.count(". ") + 1
        assert row.title and 3 <= sentences <= 8, slug
        assert assumed.known, slug
        assert not assumed.known & assumed.shaky, slug


def test_experience_assumes_more(shipped):
    known = {slug: len(assumed.known) for slug, (_, assumed) in shipped.items()}
    assert known["new-to-ml"] <= known["software-engineer"] < known["ml-engineer"]
    assert known["software-engineer"] < known["ml-researcher"]
    assert known["ml-engineer"] > 50 and known["ml-researcher"] > 50


def test_experienced_presets_leave_production_or_research_depth_to_learn(shipped):
    engineer = shipped["ml-engineer"][1]
    researcher = shipped["ml-researcher"][1]
    assert {"model-serving", "pytorch-training-loop", "logistic-regression"} <= engineer.known
    assert "transformer-architecture" in engineer.shaky
    newer = {"rlhf", "scaling-laws", "diffusion-models", "in-context-learning"}
    assert not newer & (engineer.known | engineer.shaky)
    assert {"transformer-architecture", "singular-value-decomposition"} <= researcher.known
    production = {"model-serving", "model-monitoring", "ml-system-design-framework"}
    assert not production & (researcher.known | researcher.shaky)


def test_reimporting_the_shipped_backgrounds_changes_nothing(shipped):
    report = io.import_text(FIXTURE.read_bytes())
    assert not report.changed
    assert report.unchanged["backgrounds"] == len(shipped)
