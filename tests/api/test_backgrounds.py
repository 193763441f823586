"""/backgrounds/ (read-only presets) and `background`, `known_areas`, `shaky_areas` in
POST /plans/."""

from datetime import timedelta

import pytest

from planner import services
from planner.models import Plan
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/backgrounds/"
PLANS = "/api/v1/plans/"


def test_anyone_lists_the_backgrounds_with_what_they_assume(anon, small_kb):
    response = anon.get(URL)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "slug": "ml-engineer",
            "title": "ML engineer",
            "description": "Trains and ships models; rusty on attention.",
            "known_concepts": ["softmax"],
            "shaky_concepts": ["self-attention"],
            "known_areas": ["math"],
            "shaky_areas": [],
        }
    ]


def test_a_background_is_read_by_its_slug_and_an_unknown_one_is_a_404(anon, small_kb):
    assert anon.get(f"{URL}ml-engineer/").json()["title"] == "ML engineer"
    assert error_of(anon.get(f"{URL}wizard/"))["code"] == "not_found"


def test_backgrounds_cannot_be_written_over_the_api(client_staff, small_kb):
    assert client_staff.post(URL, {"slug": "x", "title": "X"}, format="json").status_code == 405
    assert client_staff.delete(f"{URL}ml-engineer/").status_code == 405


def _plan_body(**extra) -> dict:
    interview = services.local_today("UTC") + timedelta(days=21)
    return {"team": "llm-research", "interview": interview.isoformat(), **extra}


def test_a_plan_with_a_background_needs_less_and_says_what_it_assumed(client_alice, small_kb):
    plain = client_alice.post(PLANS, _plan_body(), format="json")
    assert plain.status_code == 201, plain.json()
    body = _plan_body(background="ml-engineer", known_areas=["nlp"], shaky_areas=["fundamentals"])
    response = client_alice.post(PLANS, body, format="json")
    assert response.status_code == 201, response.json()
    summary = response.json()["summary"]
    assert summary["needed_minutes"] < plain.json()["summary"]["needed_minutes"]
    assert plain.json()["summary"]["assumed"] is None
    assert summary["assumed"].startswith(
        "Assumed known (ML engineer background, known areas nlp, shaky areas fundamentals): "
    )
    plan = Plan.objects.get(pk=response.json()["id"])
    stored = services.plan_inputs(plan)
    assert (stored.background, stored.known_areas, stored.shaky_areas) == (
        "ml-engineer",
        ("nlp",),
        ("fundamentals",),
    )
    assert (
        client_alice.get(f"{PLANS}{plan.pk}/").json()["summary"]["assumed"] == (summary["assumed"])
    )


def test_an_unknown_background_is_a_400_naming_the_field_and_the_choices(client_alice, small_kb):
    response = client_alice.post(PLANS, _plan_body(background="wizard"), format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_plan_request"
    assert error["message"] == "background: unknown background 'wizard'; one of: ml-engineer"
    assert error["details"]["field"] == "background"
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"known_areas": ["maths"]}, "known_areas"),
        ({"shaky_areas": "nlp"}, "shaky_areas"),
        ({"background": "Not A Slug"}, "background"),
        ({"background": 3}, "background"),
    ],
)
def test_a_malformed_background_or_area_is_a_400_naming_the_field(
    client_alice, small_kb, body, field
):
    response = client_alice.post(PLANS, _plan_body(**body), format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert error["message"].startswith(f"{field}")
    if body.get("known_areas"):
        assert error["message"] == (
            'known_areas[0]: "maths" is not an area; one of: math, statistics, fundamentals, '
            "deep-learning, nlp, cv, recsys, ir, generative, rl, graphs, time-series, data, "
            "systems-design, infrastructure, evaluation, tooling, interviewing."
        )
    assert not Plan.objects.exists()
