"""The planner's vocabulary: requests, days, items, cuts and schedules, as plain dataclasses.

Shared by the pure planner modules (planner.selection, planner.filling,
planner.reviews, planner.core); no Django, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from kb.errors import ApplicationError

LEARN = "learn"
REVIEW = "review"
PRACTICE = "practice"
MOCK = "mock"
BUFFER = "buffer"
ITEM_KINDS = (LEARN, REVIEW, PRACTICE, MOCK, BUFFER)

REVIEW_OFFSETS = (1, 3, 7)  # days after a concept is learned
FINAL_REVIEW_DAYS = 3  # the last review of each concept falls in this many last study days
PRACTICE_MINUTES_PER_QUESTION = 15
MAX_PRACTICE_QUESTIONS = 2
MIN_BUFFER_MINUTES = 10
# The share of each study day kept for reviews and practice shrinks to this floor
# before a target is cut: learning what the interview asks comes first.
REVIEW_SHARE_FLOOR = 0.1


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
    question_counts: concept slug -> interview questions that test it.
    already_used: day -> minutes already spent that day outside this schedule.
    progress: concept slug -> minutes already studied of a concept begun but not
        finished (a replan after some sessions of a split concept were done). Only
        the rest is scheduled, and the concept still counts as not known: its
        dependents wait for its last session.
    progress_sessions: concept slug -> how many sessions `progress` took, so the
        new sessions continue the part numbers (part 2/3 after part 1 was done).
    """

    start: date
    interview: date
    minutes_by_weekday: tuple[int, ...]
    relevance: Mapping[str, float]
    known: frozenset[str] = frozenset()
    shaky: frozenset[str] = frozenset()
    blackout: frozenset[date] = frozenset()
    mocks: tuple[MockStage, ...] = ()
    question_counts: Mapping[str, int] = field(default_factory=dict)
    include_recommended: bool = False
    min_session_minutes: int = 30
    review_share: float = 0.25  # shrinks to REVIEW_SHARE_FLOOR before a target is cut
    interview_day_review_minutes: int = 30
    already_used: Mapping[date, int] = field(default_factory=dict)
    progress: Mapping[str, int] = field(default_factory=dict)
    progress_sessions: Mapping[str, int] = field(default_factory=dict)


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
    toward: dict[str, str] = field(default_factory=dict)  # prerequisite -> the cut target
    exact: bool = True  # the selection was proven optimal within the solver's work limit
    learning_budget: int = 0  # learning minutes the selection had (after mocks and reserve)


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
