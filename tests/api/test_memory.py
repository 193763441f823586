"""Self-test ratings and prompts over the API: POST /plans/{id}/items/{item_id}/rating and
GET /concepts/{slug}/self-test."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner import services
from planner.models import MemoryCard, ReviewRating
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(small_kb, alice):
    inputs = services.PlanInputs(
        team="llm-research", interview=services.local_today("UTC") + timedelta(days=3)
    )
    return services.create_plan(owner=alice, inputs=inputs)


def url(plan, item_id) -> str:
    return f"/api/v1/plans/{plan.pk}/items/{item_id}/rating"


def learn_item(plan):
    return plan.items.filter(kind="learn").order_by("date", "order").first()


def test_rating_a_learn_item_answers_the_due_date_and_the_next_prompts(client_alice, plan):
    item = learn_item(plan)
    response = client_alice.post(url(plan, item.pk), {"rating": "good"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    card = MemoryCard.objects.get()
    assert body["concept"] == item.concept_slug == card.concept_slug
    assert (body["rating"], body["reps"], body["lapses"]) == ("good", 1, 0)
    due = datetime.fromisoformat(body["due"].replace("Z", "+00:00"))
    assert due == card.due <= plan.interview_at
    assert 3 <= len(body["prompts"]) <= 5
    log = ReviewRating.objects.get()
    assert (log.plan_id, log.item_id, log.rating) == (plan.pk, item.pk, "good")
    # The plan's reviews of the concept moved, and the revision says the plan changed.
    plan.refresh_from_db()
    assert body["revision"] == plan.revision == 2
    pending = plan.items.filter(kind="review", concept_slug=item.concept_slug, status="pending")
    assert body["review_days"] == sorted(
        {day.isoformat() for day in pending.exclude(note="light").values_list("date", flat=True)}
    )


def test_the_interview_caps_the_next_review(client_alice, plan):
    item = learn_item(plan)
    body = client_alice.post(url(plan, item.pk) + "/", {"rating": "easy"}, format="json").json()
    due = datetime.fromisoformat(body["due"].replace("Z", "+00:00"))
    assert due <= plan.interview_at.astimezone(UTC)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"rating": "gud"}, "rating", 'rating: "gud" is not a rating; one of: again, hard'),
        ({"rating": 3}, "rating", 'rating: "3" is not a rating'),
        ({}, "rating", "rating: This field is required."),
    ],
)
def test_a_bad_rating_is_a_400_naming_the_field(client_alice, plan, body, field, message):
    response = client_alice.post(url(plan, learn_item(plan).pk), body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert error["message"].startswith(message)
    assert not ReviewRating.objects.exists()


def test_a_mock_item_has_no_concept_to_rate(client_alice, plan):
    mock = plan.items.filter(kind="mock").first()
    response = client_alice.post(url(plan, mock.pk), {"rating": "good"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["details"]["field"]) == ("invalid_rating", "item")


def test_another_users_plan_and_another_plans_item_are_404(client_alice, client_bob, plan, alice):
    item = learn_item(plan)
    response = client_bob.post(url(plan, item.pk), {"rating": "good"}, format="json")
    assert response.status_code == 404
    other = services.create_plan(owner=alice, inputs=services.plan_inputs(plan))
    response = client_alice.post(url(other, item.pk), {"rating": "good"}, format="json")
    assert response.status_code == 404
    assert error_of(response)["message"] == f"plan {other.pk} has no item {item.pk}"
    assert not ReviewRating.objects.exists()


def test_rating_needs_a_signed_in_user(anon, plan):
    response = anon.post(url(plan, learn_item(plan).pk), {"rating": "good"}, format="json")
    assert response.status_code == 401


def test_self_test_prompts_for_a_concept(anon, small_kb):
    response = anon.get("/api/v1/concepts/self-attention/self-test")
    assert response.status_code == 200
    body = response.json()
    assert body["concept"] == "self-attention"
    assert body["prompts"][0] == "Implement attention in PyTorch."
    assert 3 <= len(body["prompts"]) <= 5


def test_self_test_of_an_unknown_concept_is_a_404_with_suggestions(anon, small_kb):
    response = anon.get("/api/v1/concepts/self-atention/self-test/")
    assert response.status_code == 404
    error = error_of(response)
    assert "did you mean: 'self-attention'" in error["message"]
    assert error["details"]["suggestions"]["self-atention"][0] == "self-attention"


def test_self_test_refuses_unknown_query_parameters_given_twice(anon, small_kb):
    response = anon.get("/api/v1/concepts/bert/self-test?x=1&x=2")
    assert response.status_code == 400


def test_rating_and_self_test_run_a_fixed_number_of_queries(client_alice, anon, plan):
    item = learn_item(plan)
    counts = []
    for rating in ("good", "again", "easy"):
        with CaptureQueriesContext(connection) as queries:
            response = client_alice.post(url(plan, item.pk), {"rating": rating}, format="json")
        assert response.status_code == 200
        counts.append(len(queries))
    # Token, plan, item, concept, parameters, the locked card, its update, the log insert,
    # the prompts' concept and questions, and the transaction's savepoints; creating the
    # card the first time adds its insert in a savepoint of its own. Then the move of the
    # plan's reviews (services.reviews_after_rating): card, whether the plan studies it,
    # parameters, the locked plan,
    # the reviews' delete (with its ratings set null), the days' items, the concept, the
    # new reviews, the resized buffers, the emptied ones' delete, the revision and the
    # plan's revision read back. Whether the reviews' delete and insert, the resized
    # buffers and the emptied ones' delete run depends on where the card falls due, so on
    # the time of day the test runs at; with all of them the count is 29 (27 once the card
    # exists), and none of them repeats per review moved.
    assert 25 <= counts[0] <= 29 and all(25 <= count <= 27 for count in counts[1:]), counts
    with CaptureQueriesContext(connection) as queries:
        assert anon.get("/api/v1/concepts/bert/self-test").status_code == 200
    assert len(queries) == 2
