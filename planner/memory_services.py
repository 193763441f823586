"""Self-test ratings and the memory model's rows: every interface (API, CLI, web) calls these.

A rating updates the person's card for the concept and appends to their
review log in one transaction, with the card's row locked, so two ratings
of one concept at once are applied one after the other, never one lost.
The FSRS arithmetic is planner.memory's (pure); prompts are
planner.prompts' (pure); this module reads and writes rows around them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone as dj_timezone

from kb import graph as kb_graph
from kb import search as kb_search
from kb.errors import ApplicationError, UnknownConcept
from kb.models import Concept, Question
from planner import memory, prompts
from planner.memory import RatingInputError
from planner.models import (
    FsrsParameters,
    ItemKind,
    MemoryCard,
    Plan,
    PlanItem,
    ReviewRating,
)
from planner.services import (
    MovedReviews,
    PlanItemNotFound,
    days_until,
    reviews_after_rating,
    zone,
)

# A person's parameters are fitted from this many ratings on (fsrs itself keeps its
# defaults until 512 reviews a day or more apart: see planner.memory.fit_parameters).
REFIT_MIN_RATINGS = 100
# A stored fit is refitted once this many ratings have come since: fewer would move the
# parameters little, and each fit takes seconds of a worker's time (torch).
REFIT_MIN_NEW_RATINGS = 50
RATED_KINDS = (ItemKind.LEARN, ItemKind.REVIEW)

log = logging.getLogger(__name__)


class PlanNotFound(ApplicationError):
    """A plan id that is not the person's: a 404 that does not say whether it exists."""

    code = "not_found"

    def __init__(self, plan_id: int) -> None:
        super().__init__(f"no plan {plan_id!r}", details={"field": "plan"})


def _unknown_concept(slug: str, field: str = "concept") -> UnknownConcept:
    graph = kb_graph.current_graph()
    return UnknownConcept([slug], field=field, suggestions=kb_search.suggest([slug], graph))


def interval_cap(plan: Plan | None, when: datetime) -> tuple[int, datetime | None]:
    """The longest interval (days) and the latest due time a rating at `when` may set.

    With a plan: the days left to its interview, counted in the plan's time
    zone and at least one (a rating on the interview day still needs a due
    date), and the interview itself. Without one: fsrs's default, no limit.
    """
    if plan is None:
        return memory.DEFAULT_MAX_INTERVAL_DAYS, None
    today = when.astimezone(zone(plan.timezone)).date()
    return max(1, days_until(plan, today)), plan.interview_at


def _check_target(
    *, user, concept_slug: str, plan: Plan | None, item: PlanItem | None
) -> Plan | None:
    """The plan a rating belongs to, after checking that the plan and item are the person's
    and that the item is a learn or review session of this concept."""
    if item is not None:
        if plan is None:
            plan = item.plan
        elif item.plan_id != plan.pk:
            raise PlanItemNotFound(plan.pk, item.pk)
    if plan is not None and plan.owner_id != user.pk:
        raise PlanNotFound(plan.pk)
    if item is not None:
        if item.kind not in RATED_KINDS or not item.concept_slug:
            raise RatingInputError(
                "item",
                f"item {item.pk} is a {item.kind} item; only learn and review sessions "
                "of a concept are rated",
            )
        if item.concept_slug != concept_slug:
            raise RatingInputError(
                "concept", f"item {item.pk} is about {item.concept_slug!r}, not {concept_slug!r}"
            )
    return plan


RATING_CLOCK_SKEW = timedelta(minutes=5)  # a client's clock a little ahead is not the future


def rating_record(
    *,
    user,
    concept_slug: str,
    rating: str,
    when: datetime | None = None,
    plan: Plan | None = None,
    item: PlanItem | None = None,
) -> MemoryCard:
    """Rate a self-test of `concept_slug` at `when` (now): update the card, log the rating.

    A plan caps the next interval at its interview (interval_cap). A rating
    earlier than the card's last one is refused: fsrs reads the time since the
    last review, and a review in the past would rewrite history.
    """
    memory.check_rating(rating)
    now = dj_timezone.now()
    when = when or now
    if dj_timezone.is_naive(when):
        raise RatingInputError("at", f"{when.isoformat()} has no time zone")
    if when > now + RATING_CLOCK_SKEW:  # a self-test not taken yet would rewrite the future
        raise RatingInputError("at", f"{when.isoformat()} is in the future")
    plan = _check_target(user=user, concept_slug=concept_slug, plan=plan, item=item)
    if not Concept.objects.filter(slug=concept_slug).exists():
        raise _unknown_concept(concept_slug)
    max_days, not_after = interval_cap(plan, when)
    fitted = FsrsParameters.objects.filter(user=user).values_list("parameters", flat=True).first()
    with transaction.atomic():
        card, _ = MemoryCard.objects.select_for_update().get_or_create(
            user=user, concept_slug=concept_slug, defaults={"state": {}, "due": when}
        )
        if card.last_review is not None and when < card.last_review:
            raise RatingInputError(
                "at",
                f"{when.isoformat()} is before this concept's last rating "
                f"({card.last_review.isoformat()})",
            )
        before = card.state or None
        state, due = memory.review(
            before,
            rating,
            when,
            max_interval_days=max_days,
            parameters=fitted,
            card_id=card.pk,
            not_after=not_after,
        )
        card.state, card.due, card.last_review = state, due, when
        card.reps += 1
        card.lapses += rating == "again"
        card.save(update_fields=["state", "due", "last_review", "reps", "lapses", "updated_at"])
        ReviewRating.objects.create(
            user=user,
            concept_slug=concept_slug,
            plan=plan,
            item=item,
            rating=rating,
            reviewed_at=when,
            state_before=before,
            state_after=state,
            due=due,
            log=memory.log_entry(state["card_id"], rating, when),
        )
    return card


def item_rating_record(
    *, user, plan: Plan, item_id: int, rating: str, when: datetime | None = None
) -> MemoryCard:
    """Rate the self-test of `plan`'s item `item_id` (the API's POST, ids from the client)."""
    item = plan.items.filter(pk=item_id).first()
    if item is None:
        raise PlanItemNotFound(plan.pk, item_id)
    item.plan = plan
    return rating_record(
        user=user, concept_slug=item.concept_slug, rating=rating, when=when, plan=plan, item=item
    )


def plan_item_rating(
    *, user, plan: Plan, item_id: int, rating: str, when: datetime | None = None
) -> tuple[MemoryCard, MovedReviews | None]:
    """Rate the self-test of `plan`'s item and move the plan's reviews of its concept
    (the plan page's and the API's POST): the card, and where the reviews went."""
    card = item_rating_record(user=user, plan=plan, item_id=item_id, rating=rating, when=when)
    return card, reviews_moved_by(plan, card, keep_item_id=item_id)


def reviews_moved_by(
    plan: Plan, card: MemoryCard, *, keep_item_id: int | None = None
) -> MovedReviews | None:
    """services.reviews_after_rating from the day of the card's last rating, in the plan's
    time zone (a rating given with an earlier `when` moves the reviews from that day)."""
    rated_on = card.last_review.astimezone(zone(plan.timezone)).date()
    return reviews_after_rating(
        plan=plan, concept_slug=card.concept_slug, keep_item_id=keep_item_id, today=rated_on
    )


def self_test_prompts(concept_slug: str) -> list[str]:
    """3 to 5 self-test prompts for a concept (planner.prompts); UnknownConcept with
    suggestions for a slug that names none."""
    concept = Concept.objects.filter(slug=concept_slug).values("title", "summary").first()
    if concept is None:
        raise _unknown_concept(concept_slug)
    questions = (
        Question.objects.filter(concepts__slug=concept_slug)
        .order_by("stage__order", "slug")
        .values_list("text", flat=True)
    )
    return prompts.self_test_prompts(concept["title"], concept["summary"], list(questions))


def parameters_refit(user) -> FsrsParameters | None:
    """Fit `user`'s fsrs parameters to their whole review log and store them.

    None, storing nothing, below REFIT_MIN_RATINGS ratings. The fit runs
    outside any transaction (it takes seconds with torch); the row is written
    after. OptimizerNotInstalled without the optional extra.
    """
    logs = ReviewRating.objects.filter(user=user).order_by("pk").values_list("log", flat=True)
    entries = list(logs)
    if len(entries) < REFIT_MIN_RATINGS:
        return None
    fitted = memory.fit_parameters(entries)
    row, _ = FsrsParameters.objects.update_or_create(
        user=user,
        defaults={
            "parameters": fitted,
            "fitted_at": dj_timezone.now(),
            "reviews_used": len(entries),
        },
    )
    return row


@dataclass(frozen=True)
class RefitCandidate:
    """A person whose parameters may be refitted, with the counts that made them one."""

    user_id: int
    username: str
    ratings: int
    new_ratings: int  # ratings since the stored fit (all of them without one)


def refit_candidates(
    *, user_ids: list[int] | None = None, min_new: int = REFIT_MIN_NEW_RATINGS
) -> list[RefitCandidate]:
    """People with REFIT_MIN_RATINGS ratings or more and `min_new` or more since their last fit.

    One query whatever the number of people. New ratings are the log's length
    less the stored fit's `reviews_used` (ratings are never deleted), so a
    rating made while a fit ran counts for the next one. Those never fitted
    come first, then the oldest fits: a run cut short reaches them first the
    next day. `user_ids` narrows the choice (an operator naming someone).
    """
    people = get_user_model().objects.all()
    if user_ids is not None:
        people = people.filter(pk__in=user_ids)
    rows = (
        people.annotate(ratings=Count("review_ratings"))
        .filter(ratings__gte=REFIT_MIN_RATINGS)
        .annotate(new=F("ratings") - Coalesce(F("fsrs_parameters__reviews_used"), Value(0)))
        .filter(new__gte=min_new)
        .order_by(F("fsrs_parameters__fitted_at").asc(nulls_first=True), "pk")
        .values_list("pk", "username", "ratings", "new")
    )
    return [RefitCandidate(*row) for row in rows]


@dataclass
class RefitRun:
    """What one refit run did: whom it refitted, who failed and why, whom it never reached."""

    refitted: list[RefitCandidate] = field(default_factory=list)
    failed: list[tuple[RefitCandidate, str]] = field(default_factory=list)
    not_reached: list[RefitCandidate] = field(default_factory=list)

    @property
    def chosen(self) -> int:
        return len(self.refitted) + len(self.failed) + len(self.not_reached)


def optimizer_check() -> None:
    """OptimizerNotInstalled without fsrs's optimizer extra, before any fit is tried.

    An empty log fits to fsrs's defaults at once when the optimizer is there,
    so a run without it says so at the start (even with no one due), not
    once per person.
    """
    memory.fit_parameters([])


def parameters_refit_due(
    *,
    user_ids: list[int] | None = None,
    min_new: int = REFIT_MIN_NEW_RATINGS,
    stop_on: tuple[type[BaseException], ...] = (),
) -> RefitRun:
    """Refit everyone due a refit (refit_candidates); one person's failure does not stop the rest.

    OptimizerNotInstalled, checked first, ends the run before anyone: it would
    fail everyone alike. A person's failure is logged and reported, and they
    stay due for the next run. `stop_on` are exceptions that end the run
    early instead of counting as a person's failure (a worker's soft time
    limit): whoever was not reached is reported and stays due.
    """
    optimizer_check()
    candidates = refit_candidates(user_ids=user_ids, min_new=min_new)
    users = get_user_model().objects.in_bulk([c.user_id for c in candidates])
    run = RefitRun()
    for index, candidate in enumerate(candidates):
        try:
            if parameters_refit(users[candidate.user_id]) is None:
                raise LookupError(f"fewer than {REFIT_MIN_RATINGS} ratings now")
        except stop_on:
            run.not_reached = candidates[index:]
            log.warning(
                "FSRS refit stopped early; %s person(s) left for the next run",
                len(run.not_reached),
            )
            break
        except Exception as exc:  # one person's bad log must not stop everyone else's refit
            log.exception(
                "FSRS refit of %s (user %s) failed", candidate.username, candidate.user_id
            )
            run.failed.append((candidate, f"{type(exc).__name__}: {exc}"))
        else:
            run.refitted.append(candidate)
    return run
