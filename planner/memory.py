"""The memory model: one FSRS card per (person, concept), kept as plain JSON. Pure, no Django.

A self-test after a learn or review session is rated again, hard, good or
easy; `review` runs py-fsrs (the `fsrs` package) on the card's stored state
and returns the new state and when the concept is next due. Callers store
the state as is (`Card.to_dict`), so a card read back is exactly the card
fsrs wrote.

Choices made here, each for the planner's sake:

- **No fuzzing.** Fuzz spreads due dates at random; a plan must be the same
  for the same input (planner rule 5), so the scheduler never fuzzes.
- **No learning or relearning steps.** fsrs's defaults re-ask a card after
  1 and 10 minutes, as a flashcard app does within one sitting. A plan is a
  list of days and the self-test comes at the end of a session, so a due
  time ten minutes later would mean "today, again". Without steps every
  rating gives a whole number of days (at least one), and Again still comes
  back sooner than Good.
- **The interview caps every interval.** `max_interval_days` (the days left
  to the interview) is fsrs's `maximum_interval`, and `not_after` (the
  interview's instant) caps the due time itself, so no review is ever due
  after the interview, which fsrs's day rounding alone would allow on the
  interview day.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from fsrs import Card, Rating, ReviewLog, Scheduler

from kb.errors import ApplicationError
from planner.domain import PlanInputError

RATINGS: dict[str, Rating] = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}
DESIRED_RETENTION = 0.9
DEFAULT_MAX_INTERVAL_DAYS = 36500  # fsrs's own default: a hundred years, i.e. no cap
OPTIMIZER_EXTRA = "requirements-optimizer.txt"


class RatingInputError(PlanInputError):
    """A rating the memory model cannot take; `field` names the input at fault."""

    code = "invalid_rating"


class OptimizerNotInstalled(ApplicationError):
    """Fitting parameters needs fsrs's optimizer extra (torch, pandas), an optional install."""

    code = "optimizer_not_installed"

    def __init__(self) -> None:
        super().__init__(
            "the FSRS optimizer is not installed: pip install -r "
            f"{OPTIMIZER_EXTRA} (the fsrs[optimizer] extra: torch, numpy, pandas, tqdm)",
            details={"requirements": OPTIMIZER_EXTRA},
        )


def check_rating(rating: str) -> Rating:
    """The fsrs Rating for a name; RatingInputError naming the field otherwise."""
    found = RATINGS.get(rating) if isinstance(rating, str) else None
    if found is None:
        raise RatingInputError("rating", f"{rating!r} is not one of {', '.join(RATINGS)}")
    return found


def _utc(when: datetime) -> datetime:
    """fsrs wants `datetime.timezone.utc` itself (ZoneInfo('UTC') is refused)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{when!r} has no time zone; pass an aware datetime")
    return when.astimezone(UTC)


def _scheduler_for(max_days: int, parameters: Sequence[float] | None) -> Scheduler:
    """One scheduler per configuration for the process: building one validates its
    parameters, a quarter of a millisecond a plan, and review_card leaves it as it was."""
    return _shared_scheduler(max_days, None if parameters is None else tuple(parameters))


@functools.lru_cache(maxsize=256)  # a configuration that raises is not kept
def _shared_scheduler(max_days: int, parameters: tuple[float, ...] | None) -> Scheduler:
    return scheduler(max_interval_days=max_days, parameters=parameters)


def scheduler(
    *,
    max_interval_days: int = DEFAULT_MAX_INTERVAL_DAYS,
    parameters: Sequence[float] | None = None,
) -> Scheduler:
    """The one scheduler configuration (see the module docstring for why)."""
    if max_interval_days < 1:
        raise ValueError(f"max_interval_days must be at least 1, got {max_interval_days}")
    kwargs: dict[str, Any] = {} if parameters is None else {"parameters": tuple(parameters)}
    return Scheduler(
        **kwargs,
        desired_retention=DESIRED_RETENTION,
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=max_interval_days,
        enable_fuzzing=False,
    )


def review(
    card_state: Mapping[str, Any] | None,
    rating: str,
    when: datetime,
    *,
    max_interval_days: int = DEFAULT_MAX_INTERVAL_DAYS,
    parameters: Sequence[float] | None = None,
    card_id: int = 0,
    not_after: datetime | None = None,
) -> tuple[dict[str, Any], datetime]:
    """Rate a card at `when`: its new state (fsrs's `Card.to_dict`) and when it is next due.

    `card_state` None is a concept never rated: a new card with `card_id`
    (fsrs's optimiser groups reviews by it, so it must be unique per person).
    `not_after`, when later than `when`, caps the due time (the interview).
    """
    grade = check_rating(rating)
    when = _utc(when)
    card = Card(card_id=card_id, due=when) if card_state is None else Card.from_dict(card_state)
    card, _ = _scheduler_for(max_interval_days, parameters).review_card(
        card, grade, review_datetime=when
    )
    if not_after is not None:
        limit = _utc(not_after)
        if when < limit < card.due:
            card.due = limit
    return dict(card.to_dict()), card.due


def log_entry(card_id: int, rating: str, when: datetime) -> dict[str, Any]:
    """fsrs's ReviewLog for one rating, as JSON: what its optimiser learns from."""
    entry = ReviewLog(
        card_id=card_id,
        rating=check_rating(rating),
        review_datetime=_utc(when),
        review_duration=None,
    )
    return dict(entry.to_dict())


def recall_at(
    card_state: Mapping[str, Any] | None,
    when: datetime,
    *,
    parameters: Sequence[float] | None = None,
) -> float:
    """The probability of recalling the concept at `when` (fsrs retrievability); 0 if unrated."""
    if not card_state:
        return 0.0
    card = Card.from_dict(card_state)
    scheduled = _scheduler_for(DEFAULT_MAX_INTERVAL_DAYS, parameters)
    return float(scheduled.get_card_retrievability(card, _utc(when)))


def fit_parameters(entries: Iterable[Mapping[str, Any]]) -> list[float]:
    """Parameters fitted to a person's review log (`log_entry` dicts) by fsrs's optimiser.

    fsrs returns its defaults until the log holds 512 reviews a day or more
    after the card's previous one (its mini-batch size), so early fits are the
    defaults. OptimizerNotInstalled without the optional extra.
    """
    try:
        from fsrs.optimizer import Optimizer

        optimizer = Optimizer([ReviewLog.from_dict(entry) for entry in entries])
    except ImportError:
        raise OptimizerNotInstalled() from None
    return [float(value) for value in optimizer.compute_optimal_parameters()]


STUDY_TIME = time(19, 0)  # when a forecast takes a day's study to be done, by default


def _card_fields(card: Card) -> tuple[Any, ...]:
    """Everything a review of `card` depends on: all its fields (card_id, state, step,
    stability, difficulty, due, last_review in fsrs 6)."""
    return tuple(vars(card).values())


class Forecast:
    """Cards carried forward to an interview, each planned review assumed rated Good.

    The planner's view of memory: it places a review on the day a card falls
    due and asks what the person will recall at the interview's instant if they
    keep to the plan. A day's study counts as done at the person's study time
    (STUDY_TIME unless given) in the interview's time zone; intervals are
    capped at the days left, as a rating on that day would be. Schedulers are
    shared per cap, so a plan of a thousand simulated reviews costs a few
    milliseconds; and the same review of the same card on the same day is
    worked out once (a plan tries several budgets, each with mostly the same
    reviews): the card it gives is shared, so callers must not change it.
    """

    def __init__(
        self,
        interview_at: datetime,
        *,
        parameters: Sequence[float] | None = None,
        study_time: time = STUDY_TIME,
    ) -> None:
        if interview_at.tzinfo is None:
            raise ValueError(f"{interview_at!r} has no time zone; pass an aware datetime")
        self.interview_at = interview_at
        self.study_time = study_time
        self.zone = interview_at.tzinfo
        self.parameters = tuple(parameters) if parameters is not None else None
        self._reviewed: dict[tuple[Any, ...], Card] = {}

    def _scheduler(self, max_days: int) -> Scheduler:
        return _scheduler_for(max_days, self.parameters)

    def study_moment(self, day: date) -> datetime:
        return datetime.combine(day, self.study_time, tzinfo=self.zone)

    def card(self, state: Mapping[str, Any] | None) -> Card | None:
        return Card.from_dict(state) if state else None

    def reviewed(self, card: Card | None, day: date, rating: str = "good") -> Card:
        """The card after a review on `day` (a new card when `card` is None)."""
        key = (day, rating) if card is None else (day, rating, *_card_fields(card))
        found = self._reviewed.get(key)
        if found is None:
            found = self._reviewed[key] = self._review(card, day, rating)
        return found

    def _review(self, card: Card | None, day: date, rating: str) -> Card:
        when = _utc(self.study_moment(day))
        if card is not None and card.last_review is not None and when < card.last_review:
            return card  # rated after that moment already: the rating stands for the day
        days_left = max(1, (self.interview_at.astimezone(self.zone).date() - day).days)
        current = Card(card_id=0, due=when) if card is None else card
        updated, _ = self._scheduler(days_left).review_card(
            current, check_rating(rating), review_datetime=when
        )
        limit = _utc(self.interview_at)
        if when < limit < updated.due:
            updated.due = limit
        return updated

    def due_day(self, card: Card) -> date:
        """The local day a card falls due."""
        return card.due.astimezone(self.zone).date()

    def recall(self, card: Card | None) -> float:
        """The probability of recall at the interview; 0 for a card never reviewed."""
        if card is None:
            return 0.0
        return float(self._scheduler(1).get_card_retrievability(card, _utc(self.interview_at)))
