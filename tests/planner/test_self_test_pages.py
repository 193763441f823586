"""The self-test on the plan page: the prompts under each learn or review item, the four
ratings as a form POST and as plan.js's fetch, who may rate what, and the page's queries."""

import html as html_lib
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kb.models import Concept
from planner import memory_services, selectors, services
from planner.models import MemoryCard, Plan, PlanItem, ReviewRating
from tests.planner.page_kit import JSON, TZ, make_plan, make_user

pytestmark = pytest.mark.django_db


def first_item(plan: Plan, kind: str = "learn") -> PlanItem:
    return plan.items.filter(kind=kind).order_by("date", "order").first()


def rating_url(plan: Plan, item: PlanItem) -> str:
    return reverse("planner:plan-item-rating", args=[plan.pk, item.pk])


def item_html(html: str, item: PlanItem) -> str:
    """The <li> of one item on the plan page."""
    found = re.search(rf'<li class="item [^"]*" id="item-{item.pk}".*?\n</li>', html, re.S)
    assert found, f"item {item.pk} is not on the page"
    return found.group(0)


def page_html(client: Client, plan: Plan) -> str:
    response = client.get(reverse("planner:plan", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def next_review(card: MemoryCard) -> str:
    """The day the page names for the card's next review ("Thu 10 Dec")."""
    due = card.due.astimezone(services.zone(TZ)).date()
    return selectors.day_text(due, today=services.local_today(TZ))


# --- the block ---------------------------------------------------------------------------------


def test_learn_and_review_items_show_their_prompts_folded_until_done(plan, signed_in):
    learn, review = first_item(plan, "learn"), first_item(plan, "review")
    services.mark_item(item=review, status="done")
    html = page_html(signed_in, plan)
    for item in (learn, review):
        block = item_html(html, item)
        assert f'action="{rating_url(plan, item)}"' in block
        prompts = memory_services.self_test_prompts(item.concept_slug)
        assert 3 <= len(prompts) <= 5
        for prompt in prompts:
            assert f"<li>{prompt}</li>" in html_lib.unescape(block)
        for label in ("Again", "Hard", "Good", "Easy"):
            assert re.search(rf'name="rating" value="{label.lower()}"[^>]*>{label}<span', block)
    # Pending: folded; done: open.
    assert '<details class="self-test" data-self-test>' in item_html(html, learn)
    assert '<details class="self-test" data-self-test open>' in item_html(html, review)


def test_practice_mock_and_buffer_items_have_no_self_test(plan, signed_in):
    html = page_html(signed_in, plan)
    for kind in ("practice", "mock", "buffer"):
        item = first_item(plan, kind)
        assert "data-self-test" not in item_html(html, item), kind


def test_the_last_rating_and_next_review_show_for_rated_concepts(plan, signed_in, ada):
    learn = first_item(plan, "learn")
    other = first_item(plan, "review")
    assert other.concept_slug != learn.concept_slug
    memory_services.item_rating_record(user=ada, plan=plan, item_id=learn.pk, rating="hard")
    card = memory_services.item_rating_record(user=ada, plan=plan, item_id=learn.pk, rating="good")
    html = page_html(signed_in, plan)
    said = f"Last rated good · next review {next_review(card)}"
    # Every item of the concept says it (the card is the person's, not the item's).
    for item in plan.items.filter(concept_slug=learn.concept_slug, kind__in=["learn", "review"]):
        assert said in item_html(html, item)
    assert "Last rated" not in item_html(html, other)


def test_someone_elses_card_is_not_shown(plan, signed_in):
    eve = make_user("eve")
    learn = first_item(plan, "learn")
    memory_services.rating_record(user=eve, concept_slug=learn.concept_slug, rating="good")
    assert "Last rated" not in page_html(signed_in, plan)


def test_prompts_for_many_concepts_are_the_services_prompts_for_each(small_kb):
    slugs = list(Concept.objects.values_list("slug", flat=True))
    with CaptureQueriesContext(connection) as queries:
        found = selectors.self_test_prompts_by_concept([*slugs, "no-such-concept"])
    assert len(queries) == 2
    assert found == {slug: memory_services.self_test_prompts(slug) for slug in slugs}
    assert selectors.self_test_prompts_by_concept([]) == {}


def test_a_day_is_said_short_with_the_year_only_when_it_is_another(small_kb):
    today = date(2026, 11, 30)
    assert selectors.day_text(date(2026, 12, 10), today=today) == "Thu 10 Dec"
    assert selectors.day_text(date(2027, 1, 5), today=today) == "Tue 5 Jan 2027"


# --- rating --------------------------------------------------------------------------------------


def test_a_form_post_stores_the_rating_and_returns_to_the_item_with_the_next_review(
    plan, signed_in, ada
):
    item = first_item(plan, "learn")
    response = signed_in.post(rating_url(plan, item), {"rating": "good"})
    assert response.status_code == 302
    assert response["Location"] == reverse("planner:plan", args=[plan.pk]) + f"#item-{item.pk}"
    card = MemoryCard.objects.get(user=ada, concept_slug=item.concept_slug)
    logged = ReviewRating.objects.get()
    assert (logged.user, logged.plan, logged.item, logged.rating) == (ada, plan, item, "good")
    assert card.reps == 1 and card.due == logged.due
    title = Concept.objects.get(slug=item.concept_slug).title
    html = signed_in.get(response["Location"]).content.decode()
    assert f"Next review of {title}: {next_review(card)}." in html
    assert f"Last rated good · next review {next_review(card)}" in item_html(html, item)


def test_a_fetch_answers_json_with_the_next_review_capped_at_the_interview(plan, signed_in):
    item = first_item(plan, "review")
    response = signed_in.post(rating_url(plan, item), {"rating": "easy"}, **JSON)
    assert response.status_code == 200
    answer = response.json()
    card = MemoryCard.objects.get()
    due = card.due.astimezone(services.zone(TZ))
    title = Concept.objects.get(slug=item.concept_slug).title
    assert answer == {
        "item": {"id": item.pk},
        "concept": item.concept_slug,
        "title": title,
        "rating": "easy",
        "due": due.isoformat(),
        "due_date": due.date().isoformat(),
        "text": f"Rated easy · next review {next_review(card)}",
        "message": answer["message"],
        "review_days": answer["review_days"],
        "moved_text": answer["moved_text"],
        "revision": plan.revision + 1,
    }
    # The plan's reviews of it moved: the final one as close to the interview as there is
    # room, where it is recalled best, and none before its next review is due.
    moved = [date.fromisoformat(day) for day in answer["review_days"]]
    assert moved and all(due.date() <= day < plan.interview_at.date() for day in moved)
    said = " and ".join(selectors.day_text(day, today=moved[0]) for day in moved)
    assert answer["moved_text"] == f"This plan reviews it on {said}."
    assert (
        answer["message"]
        == f"Next review of {title}: {next_review(card)}. " + (answer["moved_text"])
    )
    assert card.due <= plan.interview_at
    assert ReviewRating.objects.get().item == item


def test_a_bad_rating_is_refused_with_a_message_and_stores_nothing(plan, signed_in):
    item = first_item(plan, "learn")
    for bad in ({"rating": "meh"}, {"rating": ""}, {}):
        response = signed_in.post(rating_url(plan, item), bad, **JSON)
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "invalid",
            "message": "That was not a rating: choose Again, Hard, Good or Easy.",
        }
    response = signed_in.post(rating_url(plan, item), {"rating": "meh"}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"#item-{item.pk}")
    assert "That was not a rating" in response.content.decode()
    assert not MemoryCard.objects.exists() and not ReviewRating.objects.exists()


@pytest.mark.parametrize("kind", ["buffer", "mock", "practice"])
def test_an_item_without_a_self_test_cannot_be_rated(plan, signed_in, kind):
    item = first_item(plan, kind)
    response = signed_in.post(rating_url(plan, item), {"rating": "good"}, **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_rating",
        "message": "Only learn and review sessions of a concept have a self-test to rate.",
    }
    response = signed_in.post(rating_url(plan, item), {"rating": "good"}, follow=True)
    assert "Only learn and review sessions" in response.content.decode()
    assert not MemoryCard.objects.exists() and not ReviewRating.objects.exists()


def test_another_users_plan_or_item_is_a_404_and_stores_nothing(plan, signed_in, client):
    eve = make_user("eve")
    theirs = make_plan(eve)
    their_item = first_item(theirs, "learn")
    # Their plan, and their item through your own plan.
    assert signed_in.post(rating_url(theirs, their_item), {"rating": "good"}).status_code == 404
    assert signed_in.post(rating_url(plan, their_item), {"rating": "good"}).status_code == 404
    response = signed_in.post(rating_url(plan, their_item), {"rating": "good"}, **JSON)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # Your own plan in their session.
    client.force_login(eve)
    assert client.post(rating_url(plan, first_item(plan)), {"rating": "good"}).status_code == 404
    assert not MemoryCard.objects.exists() and not ReviewRating.objects.exists()


def test_rating_asks_visitors_to_sign_in_and_takes_posts_only(plan, client, signed_in):
    url = rating_url(plan, first_item(plan))
    assert signed_in.get(url).status_code == 405
    client.logout()
    response = client.post(url, {"rating": "good"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ReviewRating.objects.exists()


# --- queries -------------------------------------------------------------------------------------


def test_the_plan_page_costs_the_same_queries_however_many_concepts_are_rated(
    small_kb, client, ada
):
    client.force_login(ada)
    short, long = make_plan(ada, days=3), make_plan(ada, days=40)
    concepts = []
    for p in (short, long):
        rated = p.items.filter(kind__in=["learn", "review"]).order_by("date", "order")
        concepts.append({item.concept_slug for item in rated})
        for item in rated[: len(concepts[-1])]:
            memory_services.item_rating_record(user=ada, plan=p, item_id=item.pk, rating="good")
    for p in (short, long):  # what is kept per KB revision (kb.graph.per_revision), read
        page_html(client, p)
    counts = []
    for p in (short, long):
        with CaptureQueriesContext(connection) as queries:
            html = page_html(client, p)
        counts.append(len(queries))
        assert "data-self-test" in html
    assert len(concepts[1]) > len(concepts[0]) and long.items.count() > 2 * short.items.count()
    # Session and user; the plan, the graph revision (read once a request, however many
    # things kept per revision the page uses), items; the self-tests' questions, concepts
    # and memory cards.
    assert counts == [8, 8]
