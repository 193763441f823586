"""The planner's vocabulary: requests, days, items, cuts and schedules, as plain dataclasses.

Shared by the pure planner modules (planner.selection, planner.filling,
planner.reviews, planner.core); no Django, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from kb.errors import ApplicationError

LEARN = "learn"
REVIEW = "review"
PRACTICE = "practice"
MOCK = "mock"
BUFFER = "buffer"
ITEM_KINDS = (LEARN, REVIEW, PRACTICE, MOCK, BUFFER)
REFRESHER_NOTE = "shaky: refresh"  # how a refresher is told apart from a spaced review

FINAL_REVIEW_DAYS = 3  # at most this many last study days hold the final reviews
TARGET_RETENTION = 0.9  # final reviews go to concepts forecast below this recall
DEFAULT_INTERVIEW_TIME = time(9, 0)  # when `interview_at` is not given, in UTC
PRACTICE_MINUTES_PER_QUESTION = 15
MAX_PRACTICE_QUESTIONS = 2
MIN_BUFFER_MINUTES = 10
# The share of each study day kept for reviews and practice shrinks to this floor
# before a target is cut: learning what the interview asks comes first.
REVIEW_SHARE_FLOOR = 0.1
# A loop round's groundwork is learned right after the team's must-haves when it takes at
# most ESSENTIAL_SHARE of a plan's learning time, ESSENTIAL_SHORT_SHARE in a plan of less than
# ESSENTIAL_PLAN_MINUTES (PlanRequest.essentials).
ESSENTIAL_SHARE = 0.25
ESSENTIAL_SHORT_SHARE = 0.1
ESSENTIAL_PLAN_MINUTES = 20 * 60
# All of a plan's groundwork learned first takes at most this share of its budget, and only
# groundwork the team's tracks weigh at least `important` is (PlanRequest.essentials).
ESSENTIALS_TOTAL_SHARE = 0.5


@dataclass(frozen=True)
class Tier:
    """A band of relevance: the plan serves every higher tier before a lower one."""

    name: str
    threshold: float  # lowest relevance in the tier


# The one place the tiers are defined; the plan summary repeats them.
TIERS = (Tier("core", 0.8), Tier("important", 0.5), Tier("useful", 0.0))


def tier_index(relevance: float) -> int:
    """0 for core, 1 for important, 2 for useful."""
    return next(index for index, tier in enumerate(TIERS) if relevance >= tier.threshold)


class PlanInputError(ApplicationError):
    """A request the planner cannot take; `field` names the input at fault."""

    code = "invalid_plan_request"

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}", details={"field": field_name})
        self.field = field_name


@dataclass(frozen=True)
class MockStage:
    """One loop stage to rehearse with a mock interview."""

    stage: str
    title: str
    minutes: int


@dataclass(frozen=True)
class PlanRequest:
    """Everything the planner needs, already resolved from slugs and profiles.

    relevance: concept slug -> value in (0, 1], the targets (from a team's
        track weights, or 1.0 for explicit targets).
    minutes_by_weekday: seven numbers, Monday first.
    questions: interview question slug -> the concepts it tests. A question is practised
        once, after the topic whose study completes it (planner.practice).
    already_used: day -> minutes already spent that day outside this schedule.
    progress: concept slug -> minutes already studied of a concept begun but not
        finished (a replan after some sessions of a split concept were done). Only
        the rest is scheduled, and the concept still counts as not known: its
        dependents wait for its last session.
    progress_sessions: concept slug -> how many sessions `progress` took, so the
        new sessions continue the part numbers (part 2/3 after part 1 was done).
    memory: concept slug -> the person's FSRS card (planner.memory, fsrs's
        Card.to_dict) for concepts of this plan they have rated: their reviews
        fall where the cards are due. A concept studied here without a card gets
        one from the self-test after its session, taken as rated Good.
    fsrs_parameters: the person's fitted FSRS parameters; None for the defaults.
    interview_at: the interview's instant (aware), which recall is forecast for;
        None is `interview` at DEFAULT_INTERVIEW_TIME in UTC.
    tracks: track slug -> its concepts, to report forecast recall per track.
    must: targets the team's every loop asks about (its must-have topics): learned
        with their prerequisites before any other choice, as many as fit, the most
        valuable first; the rest is chosen as ever around them.
    essentials: target -> (stage slug, title) of the loop round it is the groundwork of
        (a story bank for behavioral): a candidate who walks into a round with no
        preparation at all can fail the loop there, whatever the plan's other topics.
        Learned once every one of `must` is, in the order given, as many as fit, when
        the team's tracks weigh it important or more and it takes at most
        ESSENTIAL_SHARE of the plan's learning time (ESSENTIAL_SHORT_SHARE in a plan of
        under ESSENTIAL_PLAN_MINUTES: in the last days the team's own topics come
        first), all of them together at most ESSENTIALS_TOTAL_SHARE of its budget. Any
        other is weighed as any topic, and a mock of its round with none of its
        groundwork learned is warned of.
    """

    start: date
    interview: date
    minutes_by_weekday: tuple[int, ...]
    relevance: Mapping[str, float]
    known: frozenset[str] = frozenset()
    shaky: frozenset[str] = frozenset()
    blackout: frozenset[date] = frozenset()
    mocks: tuple[MockStage, ...] = ()
    questions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    include_recommended: bool = False
    min_session_minutes: int = 30
    review_share: float = 0.25  # shrinks to REVIEW_SHARE_FLOOR before a target is cut
    interview_day_review_minutes: int = 30
    already_used: Mapping[date, int] = field(default_factory=dict)
    progress: Mapping[str, int] = field(default_factory=dict)
    progress_sessions: Mapping[str, int] = field(default_factory=dict)
    memory: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fsrs_parameters: tuple[float, ...] | None = None
    interview_at: datetime | None = None
    target_retention: float = TARGET_RETENTION
    tracks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # for recall per track
    study_time: time = time(19, 0)  # when a day's study is done, local: reviews are timed so
    must: frozenset[str] = frozenset()
    essentials: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def interview_moment(self) -> datetime:
        if self.interview_at is not None:
            return self.interview_at
        return datetime.combine(self.interview, DEFAULT_INTERVIEW_TIME, tzinfo=UTC)


@dataclass
class Item:
    kind: str
    minutes: int
    concept: str | None = None
    stage: str | None = None
    part: int | None = None  # session number of a split concept, 1-based
    parts: int | None = None
    note: str = ""
    status: str = "pending"  # set by the persistence layer when it reads items back


@dataclass
class Day:
    date: date
    available_minutes: int
    items: list[Item] = field(default_factory=list)
    blackout: bool = False
    interview_day: bool = False
    reserved_minutes: int = 0  # already spent outside this schedule (work done before a replan)

    @property
    def used_minutes(self) -> int:
        return sum(item.minutes for item in self.items)

    @property
    def free_minutes(self) -> int:
        return self.available_minutes - self.reserved_minutes - self.used_minutes


@dataclass(frozen=True)
class Cut:
    """A needed concept that is not learned, and why.

    A cut target has its tier, `minutes` is what it would still need with its
    missing prerequisites and `left_minutes` the learning time left after the
    topics of its own and higher tiers: the reason says the same numbers. A
    prerequisite cut because every target needing it was cut has no tier and
    names those targets in `targets`.
    """

    concept: str
    reason: str
    value: float
    minutes: int
    tier: str | None = None
    left_minutes: int | None = None
    targets: tuple[str, ...] = ()
    more_than: bool = False  # `minutes` is a lower bound: the topic needs more than that


@dataclass(frozen=True)
class TierSummary:
    name: str
    threshold: float
    targets: int
    learned: int
    needed_minutes: int  # learning the tier's targets with their prerequisites takes
    learned_value: float
    value: float


@dataclass(frozen=True)
class RecallSummary:
    """Forecast recall at the interview over a group of concepts (a tier, a track, all).

    `with_plan`: the mean if every review of the plan is done and rated Good;
    `without_reviews`: the mean if nothing is reviewed after each concept's
    study session (or after its last rating); `below_target`: concepts the plan
    still leaves under the target retention.
    """

    kind: str  # "tier", "track" or "overall"
    name: str
    concepts: int
    with_plan: float
    without_reviews: float
    below_target: int


@dataclass
class Summary:
    needed_minutes: int
    available_minutes: int
    scheduled_minutes: int
    coverage: float
    learned: list[str]
    cut: list[Cut]
    longest_chain: list[str]
    warnings: list[str]
    tiers: list[TierSummary] = field(default_factory=list)
    # Prerequisite cuts beyond those `cut` lists (selection.PREREQUISITE_CUTS_LISTED), and
    # their minutes: only a plan over a very large graph has any.
    unlisted_cuts: int = 0
    unlisted_cut_minutes: int = 0
    toward: dict[str, str] = field(default_factory=dict)  # prerequisite -> the cut target
    exact: bool = True  # the selection was proven optimal within the solver's work limit
    learning_budget: int = 0  # learning minutes the selection had (after mocks and reserve)
    target_retention: float = TARGET_RETENTION
    recall: list[RecallSummary] = field(default_factory=list)  # tiers, tracks, then overall
    # concept -> (with the plan, without reviews): forecast recall at the interview
    recall_by_concept: dict[str, tuple[float, float]] = field(default_factory=dict)
    # topic -> the interview questions its study completes (planner.practice); its practice
    # block asks at most MAX_PRACTICE_QUESTIONS of them
    practice: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Schedule:
    start: date
    interview: date
    days: list[Day]
    summary: Summary

    def items(self) -> Iterable[tuple[Day, Item]]:
        for day in self.days:
            for item in day.items:
                yield day, item
