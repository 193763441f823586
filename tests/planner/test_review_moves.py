"""A rating moves the plan's reviews of its concept: services.reviews_after_rating."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner import memory_services, services
from planner.models import ItemKind, ItemStatus, Plan, PlanItem
from planner.reviews import REFRESHER_NOTE
from planner.services import PlanInputs

MONDAY = date(2026, 3, 2)  # a past Monday: ratings in the future are refused


def llm_research_plan(owner, *, days: int = 14, timezone: str = "UTC", hours: float = 2):
    """An llm-research plan from MONDAY, `days` to its interview, `hours` a day."""
    inputs = PlanInputs(
        team="llm-research",
        interview=MONDAY + timedelta(days=days),
        start=MONDAY,
        timezone=timezone,
        hours_per_weekday=(hours,) * 7,
    )
    return services.create_plan(owner=owner, inputs=inputs, today=MONDAY)


@pytest.fixture
def plan(small_kb, ada):
    """Two weeks to a Monday-morning interview in UTC, 2 h a day, nothing known."""
    return llm_research_plan(ada)


def first_learned(plan) -> PlanItem:
    """The first concept learned in one session, done."""
    item = plan.items.filter(kind=ItemKind.LEARN, part__isnull=True).order_by("date", "order")[0]
    item.status = ItemStatus.DONE
    item.save()
    return item


def reviews_of(plan, slug: str, *, note: str | None = None) -> list[date]:
    rows = plan.items.filter(kind=ItemKind.REVIEW, concept_slug=slug, status=ItemStatus.PENDING)
    if note is not None:
        rows = rows.filter(note=note)
    return sorted(rows.values_list("date", flat=True))


def rate(plan, item, rating: str):
    when = datetime.combine(item.date, time(19, 30), tzinfo=UTC)
    card = memory_services.rating_record(
        user=plan.owner,
        concept_slug=item.concept_slug,
        rating=rating,
        when=when,
        plan=plan,
        item=item,
    )
    moved = services.reviews_after_rating(
        plan=plan, concept_slug=item.concept_slug, today=item.date
    )
    plan.refresh_from_db()
    return card, moved


def day_loads(plan) -> dict[date, int]:
    loads: dict[date, int] = {}
    for day, minutes in plan.items.values_list("date", "minutes"):
        loads[day] = loads.get(day, 0) + minutes
    return loads


def test_again_brings_the_next_review_forward_and_easy_pushes_it_back(plan):
    item = first_learned(plan)
    slug = item.concept_slug
    planned = reviews_of(plan, slug, note="")
    revision = plan.revision
    card, moved = rate(plan, item, "again")
    # Again: due a day after the rating; the plan's next review of the concept is there now.
    assert card.due.date() == item.date + timedelta(days=1)
    assert moved is not None and moved.days[0] == item.date + timedelta(days=1)
    assert reviews_of(plan, slug)[0] == item.date + timedelta(days=1)
    assert plan.revision == revision + 1 == moved.revision
    assert reviews_of(plan, slug, note="")[0] < planned[0]

    # Rated Easy a day later, the next review goes further than Good's first one would.
    next_day = plan.items.get(
        kind=ItemKind.REVIEW, concept_slug=slug, date=item.date + timedelta(days=1)
    )
    card, moved = rate(plan, next_day, "easy")
    assert moved is not None
    assert min(moved.days) > next_day.date + timedelta(days=2)
    assert reviews_of(plan, slug)[0] == min(moved.days)


def test_moving_reviews_keeps_every_day_within_its_hours_and_touches_nothing_else(plan):
    item = first_learned(plan)
    others = set(
        plan.items.exclude(kind__in=[ItemKind.REVIEW, ItemKind.BUFFER]).values_list(
            "pk", "date", "minutes"
        )
    )
    refreshers = set(plan.items.filter(note=REFRESHER_NOTE).values_list("pk", flat=True))
    light = set(plan.items.filter(note="light").values_list("pk", flat=True))
    rate(plan, item, "again")
    hours = services.plan_inputs(plan).hours_per_weekday
    for day, load in day_loads(plan).items():
        assert load <= round(hours[day.weekday()] * 60), day
    after = set(
        plan.items.exclude(kind__in=[ItemKind.REVIEW, ItemKind.BUFFER]).values_list(
            "pk", "date", "minutes"
        )
    )
    assert after == others  # learning, practice and mocks stay where they were
    assert refreshers <= set(plan.items.values_list("pk", flat=True))
    assert light <= set(plan.items.values_list("pk", flat=True))


def test_no_card_no_move(plan):
    item = first_learned(plan)
    assert services.reviews_after_rating(plan=plan, concept_slug=item.concept_slug) is None


def test_rate_with_a_plan_says_where_its_reviews_moved(plan):
    from io import StringIO

    from django.core.management import call_command

    item = first_learned(plan)
    out = StringIO()
    at = datetime.combine(item.date, time(20, 0), tzinfo=UTC).isoformat()
    call_command(
        "rate",
        user=plan.owner.username,
        concept=item.concept_slug,
        rating="again",
        plan=str(plan.pk),
        at=at,
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    moved_to = reviews_of(plan, item.concept_slug)
    assert lines[0].endswith("(1 rating so far, 1 of them Again)")
    assert lines[-1].startswith(f"plan {plan.pk} reviews {item.concept_slug} on ")
    assert (item.date + timedelta(days=1)).isoformat() in lines[-1]
    assert moved_to[0] == item.date + timedelta(days=1)


def test_a_rating_in_the_future_is_refused_and_changes_nothing(plan):
    from django.utils import timezone

    from planner.memory import RatingInputError
    from planner.models import MemoryCard

    item = first_learned(plan)
    with pytest.raises(RatingInputError) as refused:
        memory_services.rating_record(
            user=plan.owner,
            concept_slug=item.concept_slug,
            rating="good",
            when=timezone.now() + timedelta(hours=1),
            plan=plan,
        )
    assert refused.value.field == "at" and "is in the future" in refused.value.message
    assert not MemoryCard.objects.exists()


def test_with_no_free_time_a_days_question_practice_gives_way_to_the_review(plan):
    item = first_learned(plan)
    plan.items.filter(kind=ItemKind.BUFFER).delete()  # days as full as the plan made them
    practice_days = sorted(
        set(
            plan.items.filter(
                kind=ItemKind.PRACTICE, date__gt=item.date, status=ItemStatus.PENDING
            ).values_list("date", flat=True)
        )
    )
    before = dict(plan.items.filter(kind=ItemKind.PRACTICE).values_list("pk", "minutes"))
    _, moved = rate(plan, item, "again")
    hours = services.plan_inputs(plan).hours_per_weekday
    for day, load in day_loads(plan).items():
        assert load <= round(hours[day.weekday()] * 60), day
    first = moved.days[0]
    free_days = [d for d in practice_days if d >= item.date + timedelta(days=1)]
    assert first <= free_days[0]
    after = dict(plan.items.filter(kind=ItemKind.PRACTICE).values_list("pk", "minutes"))
    assert all(after[pk] <= minutes for pk, minutes in before.items() if pk in after)
    assert all(m >= 15 for m in after.values())  # never a practice stub under a question


def test_reviews_move_by_the_plans_own_days_not_utcs(small_kb, ada):
    """Rated Easy at 00:30 in Berlin (23:30 UTC the day before), the card falls due just
    after midnight there, a day later than its UTC date, and before the final days: its
    next review goes on that day or after, not on the day before."""
    berlin = ZoneInfo("Europe/Berlin")
    plan = llm_research_plan(ada, days=20, timezone="Europe/Berlin", hours=4)
    item = first_learned(plan)
    card = memory_services.rating_record(
        user=plan.owner,
        concept_slug=item.concept_slug,
        rating="easy",
        when=datetime.combine(item.date + timedelta(days=1), time(0, 30), tzinfo=berlin),
        plan=plan,
        item=item,
    )
    due = card.due.astimezone(berlin).date()
    assert card.due.astimezone(UTC).date() < due  # the case: due after midnight in Berlin
    stored = Plan.objects.get(pk=plan.pk)  # as a request reads it: its times in UTC
    moved = services.reviews_after_rating(
        plan=stored, concept_slug=item.concept_slug, today=item.date + timedelta(days=1)
    )
    assert moved is not None and moved.days
    assert moved.days[0] >= due
