"""The self-test on the plan page in a browser: unfold it, rate it, see the next review."""

import re

from playwright.sync_api import expect

from planner import selectors, services
from planner.models import MemoryCard, ReviewRating
from tests.e2e.conftest import assert_accessible, horizontal_overflow, screenshot

PHONE = {"width": 375, "height": 812}


def self_tested(page):
    """Today's items that have a self-test (learn and review sessions of a concept)."""
    return page.locator("#today li.item").filter(has=page.locator("details[data-self-test]"))


def said_day(card: MemoryCard, timezone: str) -> str:
    due = card.due.astimezone(services.zone(timezone)).date()
    return selectors.day_text(due, today=services.local_today(timezone))


def test_rate_a_self_test_and_see_the_next_review_without_a_reload(open_page, make_user, make_plan):
    user = make_user("ada")
    plan = make_plan(user)
    page = open_page(user=user)
    page.goto(f"/plans/{plan.pk}/")
    item = self_tested(page).first
    block = item.locator("details[data-self-test]")
    expect(block).not_to_have_attribute("open", "")  # folded while the item is to do

    # Done unfolds the self-test; the focus stays with the marks (on Undo).
    page.evaluate("window.__stillHere = true")
    item.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(item).to_have_attribute("data-status", "done")
    expect(block).to_have_attribute("open", "")
    expect(item.get_by_role("button", name=re.compile(r"^Undo"))).to_be_focused()
    expect(block.locator("ol.prompts li").first).to_be_visible()
    assert 3 <= block.locator("ol.prompts li").count() <= 5
    assert_accessible(page, where="the plan page with a self-test open")

    # Rate it: the answer in place and to screen readers, no reload, focus kept.
    good = block.get_by_role("button", name=re.compile(r"^Good"))
    good.click()
    result = block.locator("[data-rating-result]")
    expect(result).to_have_text(re.compile(r"^Rated good · next review \w{3} \d{1,2} \w{3}"))
    card = MemoryCard.objects.get(user=user)
    day = said_day(card, plan.timezone)
    expect(result).to_have_text(f"Rated good · next review {day}")
    expect(block.locator("summary")).to_contain_text(f"Rated good · next review {day}")
    expect(page.locator("#plan-status")).to_contain_text(f": {day}.")
    expect(good).to_be_focused()
    assert page.evaluate("window.__stillHere === true"), "the page was reloaded"
    rating = ReviewRating.objects.get()
    assert (rating.rating, rating.item_id) == ("good", int(item.get_attribute("id")[5:]))
    assert_accessible(page, where="the plan page after a rating")
    screenshot(page, "plan-self-test")

    # After a reload the page remembers: the last rating and the next review.
    page.reload()
    expect(self_tested(page).first.locator("summary")).to_contain_text(
        f"Last rated good · next review {day}"
    )


def test_a_self_test_by_keyboard_at_phone_width_and_without_javascript(
    open_page, make_user, make_plan
):
    user = make_user("ada")
    plan = make_plan(user)

    # A phone: unfold by keyboard, rate by keyboard, nothing wider than the screen.
    phone = open_page(user=user, **PHONE)
    phone.goto(f"/plans/{plan.pk}/")
    block = self_tested(phone).first.locator("details[data-self-test]")
    block.locator("summary").focus()
    phone.keyboard.press("Enter")
    expect(block).to_have_attribute("open", "")
    assert horizontal_overflow(phone) == 0
    assert_accessible(phone, where="the plan page at 375 px with a self-test open")
    hard = block.get_by_role("button", name=re.compile(r"^Hard"))
    hard.focus()
    phone.keyboard.press("Enter")
    expect(block.locator("[data-rating-result]")).to_contain_text("Rated hard · next review")
    assert horizontal_overflow(phone) == 0

    # No JavaScript: the form posts, the page comes back at the item and says the day.
    plain = open_page(user=user, js=False)
    plain.goto(f"/plans/{plan.pk}/")
    item = self_tested(plain).nth(1)
    item_id = item.get_attribute("id")
    item.locator("summary").click()
    item.get_by_role("button", name=re.compile(r"^Easy")).click()
    expect(plain).to_have_url(re.compile(rf"/plans/{plan.pk}/#{item_id}$"))
    slug = ReviewRating.objects.get(rating="easy").concept_slug
    day = said_day(MemoryCard.objects.get(user=user, concept_slug=slug), plan.timezone)
    expect(plain.get_by_role("status").first).to_contain_text("Next review of ")
    expect(plain.get_by_role("status").first).to_contain_text(f": {day}.")


def test_a_rating_of_again_moves_the_plans_next_review_of_the_concept(
    open_page, make_user, make_plan
):
    from datetime import date, timedelta

    from planner.models import PlanItem
    from planner.reviews import REVIEW_SLACK_DAYS

    user = make_user("ada")
    plan = make_plan(user)
    page = open_page(user=user)
    page.goto(f"/plans/{plan.pk}/")
    item = self_tested(page).first
    item_id = int(item.get_attribute("id")[5:])
    slug = PlanItem.objects.get(pk=item_id).concept_slug
    today = services.local_today(plan.timezone)
    tomorrow = today + timedelta(days=1)

    def first_review() -> date | None:
        reviews = PlanItem.objects.filter(plan=plan, kind="review", concept_slug=slug)
        return min(reviews.filter(date__gt=today).values_list("date", flat=True), default=None)

    before = first_review()
    assert before is None or before > tomorrow

    item.get_by_role("button", name=re.compile(r"^Done")).click()
    block = item.locator("details[data-self-test]")
    block.get_by_role("button", name=re.compile(r"^Again")).click()
    day = selectors.day_text(tomorrow, today=today)
    expect(block.locator("[data-rating-result]")).to_have_text(f"Rated again · next review {day}")
    moved = block.locator("[data-rating-moved]")
    expect(moved).to_contain_text("This plan reviews it on")
    # Due tomorrow: the plan reviews it tomorrow, or within the slack a due review may
    # wait for a day with room, and no later than before the rating.
    after = first_review()
    assert after is not None and tomorrow <= after <= tomorrow + timedelta(days=REVIEW_SLACK_DAYS)
    assert before is None or after <= before
    on = selectors.day_text(after, today=today)
    expect(moved).to_contain_text(f"This plan reviews it on {on}")

    # The page marks on the plan's new revision: the next Done is taken, not refused.
    other = page.locator("#today li.item").nth(1)
    other.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(other).to_have_attribute("data-status", "done")

    # Shown again, the days have the concept's review on that day.
    moved.get_by_role("button", name="Show the days again").click()
    review = page.locator(f"#day-{after.isoformat()} li.item.kind-review")
    expect(review.filter(has_text=PlanItem.objects.get(pk=item_id).concept.title)).to_have_count(1)
    assert_accessible(page, where="the plan page after a rating moved a review")
