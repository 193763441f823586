"""Reads behind the plan pages: each answers one page's question in a constant number of queries.

A plan that is not the signed-in user's is an Http404 everywhere (never a
403: whether a plan id exists is nobody else's business).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import networkx as nx
from django.db.models import OuterRef, Subquery, Sum
from django.http import Http404
from django.utils import dateformat

from kb import graph as kb_graph
from kb.errors import ApplicationError
from kb.models import Area, Background, Concept, Question, TeamProfile, Track
from planner import background, formats, progress, prompts, services
from planner.models import (
    ItemKind,
    ItemStatus,
    MemoryCard,
    MemoryRating,
    Plan,
    PlanItem,
    ReviewRating,
)

# --- one plan --------------------------------------------------------------------------------


def owned_plan(*, user, pk: int) -> Plan:
    """The user's plan `pk`, with its team; Http404 for anyone else's or none."""
    plan = Plan.objects.select_related("team").filter(owner=user, pk=pk).first()
    if plan is None:
        raise Http404(f"you have no plan {pk}")
    return plan


def _replanned_from(plan: Plan) -> date | None:
    """The day the latest replan planned from (its inputs' start), None if never replanned."""
    if plan.revision < 2:
        return None
    return services.plan_inputs(plan).start


def interview_date(plan: Plan) -> date:
    return plan.interview_at.astimezone(services.zone(plan.timezone)).date()


@dataclass
class PlanPage:
    """Everything the plan page shows, read once."""

    plan: Plan
    payload: dict[str, Any]  # planner.formats' contract; each day also has `day`, a date
    today: date
    progress: progress.Progress
    days_left: int
    today_day: dict[str, Any] | None  # the day entry for today, if the plan has one
    next_day: dict[str, Any] | None  # the first study day after today
    past_days: list[dict[str, Any]]  # days before today that had items
    upcoming_days: list[dict[str, Any]]  # days after today
    open_before_today: int  # past items not done, skipped or rescheduled by a replan
    # concept slug -> its self-test; each learn or review item of a concept also has
    # `self_test`, its entry here, for the template
    self_tests: dict[str, SelfTest] = field(default_factory=dict)


def dated_days(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A payload's days, each also with `day`, its date as a date (for templates to format)."""
    for day in days:
        day["day"] = date.fromisoformat(day["date"])
    return days


def plan_page(plan: Plan) -> PlanPage:
    """The plan's payload split around today, with its progress and the self-tests of its
    learn and review items: the payload's queries and self_tests' three, however long."""
    payload = formats.plan_payload(plan)
    today = services.local_today(plan.timezone)
    days = dated_days(payload["days"])
    measured = progress.measure(
        (
            (day["day"], item["kind"], item["status"], item["minutes"])
            for day in days
            for item in day["items"]
        ),
        today=today,
        days=((day["day"], day["interview_day"], day["blackout"]) for day in days),
        replanned_from=_replanned_from(plan),
    )
    upcoming = [day for day in days if day["day"] > today]
    past = [day for day in days if day["day"] < today and day["items"]]
    replanned_from = _replanned_from(plan)
    open_before = 0
    for day in past:
        for item in day["items"]:
            if item["kind"] == ItemKind.BUFFER or item["status"] != ItemStatus.PENDING:
                continue
            if replanned_from is not None and day["day"] < replanned_from:
                item["rescheduled"] = True  # the replan planned this work again: not open
            else:
                open_before += 1
    tests = self_tests(plan, (item["concept"] for item in _rated_items(days)))
    # The team's must-haves, marked where they are learned: what to be surest of.
    must = set(services.team_must_have(plan.team))
    for item in _rated_items(days):
        item["self_test"] = tests.get(item["concept"])
        item["must_have"] = item["kind"] == ItemKind.LEARN and item["concept"] in must
    return PlanPage(
        plan=plan,
        payload=payload,
        today=today,
        progress=measured,
        days_left=services.days_until(plan, today),
        today_day=next((day for day in days if day["day"] == today), None),
        next_day=next(
            (d for d in upcoming if any(i["kind"] != ItemKind.BUFFER for i in d["items"])), None
        ),
        past_days=past,
        upcoming_days=upcoming,
        open_before_today=open_before,
        self_tests=tests,
    )


def plan_progress(plan: Plan) -> progress.Progress:
    """The plan's progress from one query (the answer to a mark: no payload needed)."""
    rows = plan.items.order_by().values_list("date", "kind", "status", "minutes")
    return progress.measure(
        rows,
        today=services.local_today(plan.timezone),
        days=(
            (date.fromisoformat(d["date"]), d["interview_day"], d["blackout"])
            for d in plan.summary.get("days", [])
        ),
        replanned_from=_replanned_from(plan),
    )


# --- self-tests (planner.memory_services rates them) --------------------------------------


@dataclass(frozen=True)
class SelfTest:
    """A concept's self-test on the plan page: what to ask, and what the last rating set."""

    concept: str
    prompts: list[str]
    last_rating: str | None = None  # "again" ... "easy"; None before the first rating
    due: date | None = None  # the next review, a day in the plan's time zone
    said: str = ""  # "Last rated good · next review Thu 10 Dec", once rated


def _rated_items(days: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """The items a self-test follows (memory_services.RATED_KINDS: learn and review of a
    concept), in a payload's days."""
    kinds = (ItemKind.LEARN, ItemKind.REVIEW)
    return (i for day in days for i in day["items"] if i["kind"] in kinds and i["concept"])


def _rating_word(rating: str) -> str:
    return MemoryRating(rating).label.lower() if rating in MemoryRating.values else rating


def day_text(day: date, *, today: date) -> str:
    """ "Thu 10 Dec" (the year too when it is not this year's): short enough for a phone."""
    return dateformat.format(day, "D j M" if day.year == today.year else "D j M Y")


def self_test_prompts_by_concept(slugs: Iterable[str]) -> dict[str, list[str]]:
    """slug -> its 3 to 5 prompts, for many concepts in two queries.

    The same prompts as memory_services.self_test_prompts (planner.prompts on
    the concept's title, summary and questions in the same order), which costs
    two queries per concept: a long plan reviews dozens. Slugs that name no
    concept are left out.
    """
    wanted = set(slugs)
    if not wanted:
        return {}
    asked: dict[str, list[str]] = defaultdict(list)
    rows = (
        Question.concepts.through.objects.filter(concept__slug__in=wanted)
        .order_by("concept__slug", "question__stage__order", "question__slug")
        .values_list("concept__slug", "question__text")
    )
    for slug, text in rows:
        asked[slug].append(text)
    concepts = Concept.objects.filter(slug__in=wanted).values_list("slug", "title", "summary")
    return {
        slug: prompts.self_test_prompts(title, summary, asked[slug])
        for slug, title, summary in concepts
    }


def self_tests(plan: Plan, slugs: Iterable[str]) -> dict[str, SelfTest]:
    """slug -> the self-test of each concept, with the plan owner's last rating and next
    review where they have a memory card: three queries, however many concepts."""
    wanted = set(slugs)
    found = self_test_prompts_by_concept(wanted)
    if not found:
        return {}
    last = ReviewRating.objects.filter(
        user=OuterRef("user"), concept_slug=OuterRef("concept_slug")
    ).order_by("-reviewed_at", "-pk")
    cards = (
        MemoryCard.objects.filter(user_id=plan.owner_id, concept_slug__in=found)
        .annotate(last_rating=Subquery(last.values("rating")[:1]))
        .values_list("concept_slug", "due", "last_rating")
    )
    zone, today = services.zone(plan.timezone), services.local_today(plan.timezone)
    tests = {slug: SelfTest(slug, found_prompts) for slug, found_prompts in found.items()}
    for slug, due, rating in cards:
        day = due.astimezone(zone).date()
        when = day_text(day, today=today)
        tests[slug] = SelfTest(
            slug,
            found[slug],
            last_rating=rating,
            due=day,
            # A card always has a rating (rating_record writes both at once): "Next review"
            # alone covers a log row removed by hand.
            said=f"Last rated {_rating_word(rating)} · next review {when}"
            if rating
            else f"Next review {when}",
        )
    return tests


@dataclass(frozen=True)
class RatingAnswer:
    """What the plan page says after a rating, as a flash message or in place."""

    item_id: int
    concept: str
    title: str
    rating: str
    due: datetime  # in the plan's time zone
    text: str  # "Rated good · next review Thu 10 Dec", beside the buttons
    message: str  # "Next review of Attention: Thu 10 Dec.", after a redirect
    review_days: list[date] = field(default_factory=list)  # the plan's reviews of it, moved
    moved_text: str = ""  # "This plan reviews it on Thu 10 Dec." ('' when nothing moved)
    revision: int | None = None  # the plan's revision after the move


def rating_answer(
    plan: Plan,
    item_id: int,
    card: MemoryCard,
    rating: str,
    moved: services.MovedReviews | None = None,
) -> RatingAnswer:
    """The answer to a rating of `plan`'s item (memory_services.item_rating_record's card),
    with the days the plan's reviews of the concept moved to (services.reviews_after_rating)."""
    due = card.due.astimezone(services.zone(plan.timezone))
    today = services.local_today(plan.timezone)
    node = kb_graph.current_graph().nodes.get(card.concept_slug) or {}
    title = node.get("title", card.concept_slug)
    when = day_text(due.date(), today=today)
    return RatingAnswer(
        item_id=item_id,
        concept=card.concept_slug,
        title=title,
        rating=rating,
        due=due,
        text=f"Rated {_rating_word(rating)} · next review {when}",
        message=f"Next review of {title}: {when}.{_moved_text(moved, today)}",
        review_days=sorted(set(moved.days)) if moved else [],
        moved_text=_moved_text(moved, today).strip(),
        revision=moved.revision if moved else None,
    )


def _moved_text(moved: services.MovedReviews | None, today: date) -> str:
    """' This plan reviews it on Thu 10 Dec and Sun 13 Dec.' ('' without a move).

    The plan's days can differ from the due day: a review waits up to two days
    for a day with room, and a final review goes as close to the interview as
    there is room, where it is recalled best.
    """
    if not moved:
        return ""
    if not moved.days:
        return " This plan has no room left to review it."
    days = [day_text(day, today=today) for day in sorted(set(moved.days))]
    listed = days[0] if len(days) == 1 else f"{', '.join(days[:-1])} and {days[-1]}"
    return f" This plan reviews it on {listed}."


# --- the plan list ---------------------------------------------------------------------------


@dataclass
class PlanRow:
    plan: Plan
    interview: date
    days_left: int
    progress: progress.Progress


def plan_rows(*, user) -> list[PlanRow]:
    """The user's plans, newest first, with their progress: two queries, however many plans.

    Progress comes from the items summed per (plan, day, kind, status) in the
    database, fed to the same planner.progress.measure the plan page uses.
    """
    plans = list(
        Plan.objects.filter(owner=user).select_related("team").order_by("-created_at", "-id")
    )
    sums: dict[int, list[tuple[date, str, str, int]]] = defaultdict(list)
    rows = (
        PlanItem.objects.filter(plan__in=[plan.pk for plan in plans])
        .order_by()
        .values("plan_id", "date", "kind", "status")
        .annotate(total=Sum("minutes"))
        .values_list("plan_id", "date", "kind", "status", "total")
    )
    for plan_id, when, kind, status, total in rows:
        sums[plan_id].append((when, kind, status, total))
    result = []
    for plan in plans:
        today = services.local_today(plan.timezone)
        result.append(
            PlanRow(
                plan=plan,
                interview=interview_date(plan),
                days_left=services.days_until(plan, today),
                progress=progress.measure(
                    sums[plan.pk], today=today, replanned_from=_replanned_from(plan)
                ),
            )
        )
    return result


# --- concept status (the concept graph's colours) --------------------------------------------

KNOWN, PLANNED, DONE = "known", "planned", "done"


def status_plan(*, user, plan_id: int | None, concept: str = "") -> Plan | None:
    """The plan `plan_id` (Http404 if not the user's), else the user's latest active plan
    that schedules `concept` (the one a concept page is about), else the latest active one."""
    if plan_id is not None:
        return owned_plan(user=user, pk=plan_id)
    active = Plan.objects.filter(owner=user, archived_at__isnull=True).order_by(
        "-created_at", "-id"
    )
    if concept:
        holding = active.filter(items__concept_slug=concept).distinct().first()
        if holding is not None:
            return holding
    return active.first()


def concept_status(plan: Plan) -> dict[str, str]:
    """slug -> "known" | "planned" | "done" for the concepts `plan` says something about.

    done: studied to the end in the plan (services.study_progress, the rule a
        replan uses). planned: has a learning session and is not done yet, or
        is a shaky concept the plan reviews (a rusty Transformer is work to do).
    known: assumed by the plan's inputs and background, with what that implies
        (planner.background), and shaky concepts the plan leaves alone.
    Concepts no longer in the knowledge base are left out.
    """
    graph = kb_graph.current_graph()
    learned = services.study_progress(plan, graph).learned
    # A concept taken as known is reviewed only when it is shaky: that review is work to do.
    rows = plan.items.filter(kind__in=[ItemKind.LEARN, ItemKind.REVIEW]).exclude(concept_slug="")
    scheduled = set(rows.order_by().values_list("concept_slug", flat=True).distinct())
    status = dict.fromkeys(_assumed(plan, graph), KNOWN)
    status.update(dict.fromkeys(scheduled, PLANNED))
    status.update({slug: DONE for slug in learned})
    return {slug: value for slug, value in sorted(status.items()) if slug in graph}


def _assumed(plan: Plan, graph: nx.DiGraph) -> set[str]:
    """What the plan's inputs take as known or shaky, with the prerequisites that implies.

    A plan whose inputs name a concept or background since removed from the KB
    falls back to its named known concepts.
    """
    inputs = services.plan_inputs(plan)
    try:
        assumed = background.for_inputs(inputs, {})
    except ApplicationError:
        return {slug for slug in (*inputs.known, *inputs.shaky) if slug in graph}
    return set(assumed.known | assumed.shaky)


# --- the wizard's choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConceptChoice:
    slug: str
    title: str


@dataclass(frozen=True)
class WizardChoices:
    teams: list[TeamProfile]
    tracks: list[Track]
    backgrounds: list[Background]
    concepts_by_area: list[tuple[str, str, list[ConceptChoice]]]  # (area, label, concepts)


def wizard_choices() -> WizardChoices:
    """Teams, tracks, backgrounds and every concept by area: four queries."""
    concepts: dict[str, list[ConceptChoice]] = defaultdict(list)
    for slug, title, area in Concept.objects.order_by("title", "slug").values_list(
        "slug", "title", "area"
    ):
        concepts[area].append(ConceptChoice(slug, title))
    return WizardChoices(
        teams=list(TeamProfile.objects.order_by("name", "slug").only("slug", "name", "role")),
        tracks=list(Track.objects.order_by("title", "slug").only("slug", "title")),
        backgrounds=list(Background.objects.order_by("slug").only("slug", "title", "description")),
        concepts_by_area=[
            (area, label, concepts[area]) for area, label in Area.choices if concepts.get(area)
        ],
    )
