"""The study planner: PlanRequest + concept graph -> Schedule.

Pure Python over dataclasses and a networkx DiGraph (see kb.dag for its
shape): no Django, no database, no clock. "Today" is `PlanRequest.start`, so
the same request always gives the same schedule.

How a plan is made
------------------
1. Needed set: every target (a concept with relevance > 0) plus its
   prerequisites, minus what is known. Knowing or being shaky on a concept
   implies knowing its required prerequisites.
2. Capacity: each day from `start` to the interview gets its weekday's
   minutes (0 on blackout days). Mock interviews are placed first, one per
   loop stage, in the final part of the plan; the interview day holds only a
   light review. A share of every study day (`review_share`) is kept for
   spaced reviews and question practice.
3. Selection (a precedence-constrained knapsack, solved greedily): when the
   needed concepts cost more than the learning capacity, concepts are taken
   in priority order (three orders are tried: value per minute of the
   apportioned prerequisite closure, value per square root of it, value
   alone; the most valuable outcome wins), each together with its
   prerequisites, while the closure fits. Whole closures keep the kept set
   closed under prerequisites; the cut list says why each concept went.
4. Order: a topological order that, among the concepts whose prerequisites
   are all placed, takes the most valuable per minute first (value includes a
   share of the value of what a concept unlocks), so a plan that slips loses
   its least useful tail.
5. Fill: concepts go into the days in that order, split across days when
   longer than a day's free time (never in sessions shorter than
   `min_session_minutes`, except a concept's final remainder). What does not
   fit by the interview is cut; since the order is topological, the placed
   part is still closed under prerequisites. A concept begun before a replan
   (`progress`) costs and gets only the minutes it still needs, in sessions
   numbered after the ones done.
6. Practice, reviews (about 1, 3 and 7 days after learning and once in the
   final days) and reviews of shaky concepts go into the time left, then the
   rest of each day becomes a buffer.

Every step is O((V + E) log V) in the size of the needed subgraph.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import networkx as nx

from kb.dag import RECOMMENDED, REQUIRED, check_known, known_closure, walk
from kb.errors import ApplicationError

LEARN = "learn"
REVIEW = "review"
PRACTICE = "practice"
MOCK = "mock"
BUFFER = "buffer"
ITEM_KINDS = (LEARN, REVIEW, PRACTICE, MOCK, BUFFER)

REVIEW_OFFSETS = (1, 3, 7)  # days after a concept is learned
FINAL_REVIEW_DAYS = 3  # the last review of each concept falls in this many last study days
QUESTION_BONUS = 0.05  # value a linked interview question adds to a concept (up to 3)
PRACTICE_MINUTES_PER_QUESTION = 15
MAX_PRACTICE_QUESTIONS = 2
MIN_BUFFER_MINUTES = 10
VALUE_PASSED_DOWN = 0.5  # share of a concept's value its prerequisites inherit


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
    review_share: float = 0.25
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
    concept: str
    reason: str
    value: float
    minutes: int


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


# --- validation ---------------------------------------------------------------------------


def validate(graph: nx.DiGraph, request: PlanRequest) -> None:
    """Raise PlanInputError or UnknownConcept naming the field at fault."""
    if request.interview < request.start:
        raise PlanInputError(
            "interview",
            f"{request.interview.isoformat()} is before the start date {request.start.isoformat()}",
        )
    weekly = request.minutes_by_weekday
    if len(weekly) != 7:
        raise PlanInputError("hours", f"needs 7 values (Monday to Sunday), got {len(weekly)}")
    if any(minutes < 0 or minutes > 24 * 60 for minutes in weekly):
        raise PlanInputError("hours", "each day must be between 0 and 24 hours")
    if not any(weekly):
        raise PlanInputError("hours", "no study time at all: every weekday has 0 hours")
    if not 5 <= request.min_session_minutes <= 240:
        raise PlanInputError("min_session_minutes", "must be between 5 and 240")
    if not 0 <= request.review_share < 1:
        raise PlanInputError("review_share", "must be at least 0 and below 1")
    for slug, value in request.relevance.items():
        if not 0 < value <= 1:
            raise PlanInputError("targets", f"relevance of {slug!r} must be in (0, 1], got {value}")
    check_known(graph, request.relevance, field="targets")
    check_known(graph, request.known, field="known")
    check_known(graph, request.shaky, field="shaky")
    check_known(graph, request.progress, field="progress")
    for slug, minutes in request.progress.items():
        if not isinstance(minutes, int) or minutes < 0:
            raise PlanInputError("progress", f"minutes of {slug!r} must be a whole number >= 0")
        full = learn_minutes(graph, slug)
        if minutes >= full:
            # Finished: the caller says so with `known`, which also covers its prerequisites.
            raise PlanInputError(
                "progress",
                f"{minutes} min of {slug!r} is all of its {full} min; list it as known instead",
            )
    for slug, sessions in request.progress_sessions.items():
        if slug not in request.progress:
            raise PlanInputError("progress_sessions", f"{slug!r} has no progress")
        if not isinstance(sessions, int) or sessions < 0:
            raise PlanInputError(
                "progress_sessions", f"sessions of {slug!r} must be a whole number >= 0"
            )


# --- selection and order ------------------------------------------------------------------


def _kinds(request: PlanRequest) -> frozenset[str]:
    return (
        frozenset({REQUIRED, RECOMMENDED}) if request.include_recommended else frozenset({REQUIRED})
    )


def learn_minutes(graph: nx.DiGraph, slug: str) -> int:
    """A concept's study time in whole 5-minute steps; one hour when it has no estimate."""
    hours = graph.nodes[slug].get("hours")
    return max(5, 5 * round((hours if hours is not None else 1.0) * 12))


def remaining_minutes(graph: nx.DiGraph, request: PlanRequest, slug: str) -> int:
    """What is left to study of a concept: its estimate minus the minutes already studied."""
    return learn_minutes(graph, slug) - request.progress.get(slug, 0)


def practice_minutes(request: PlanRequest, slug: str) -> int:
    questions = min(request.question_counts.get(slug, 0), MAX_PRACTICE_QUESTIONS)
    return questions * PRACTICE_MINUTES_PER_QUESTION


def review_minutes(learn: int) -> int:
    """Five minutes per hour of learning, 5 to 15: recall, not re-reading."""
    return min(15, max(5, 5 * round(learn / 60)))


@dataclass
class _Needed:
    """The needed subgraph with what selection and ordering compute over it."""

    order: list[str]  # by graph position (a topological order)
    prerequisites: dict[str, list[str]]  # within the needed set, over the chosen edge kinds
    dependents: dict[str, list[str]]
    own_value: dict[str, float]
    cost: dict[str, int]  # learn (what is left of it) + practice minutes


def needed_subgraph(graph: nx.DiGraph, request: PlanRequest) -> tuple[_Needed, set[str]]:
    """The concepts the targets need that are not known, and the known closure."""
    kinds = _kinds(request)
    skip = known_closure(graph, request.known | request.shaky)
    targets = {slug for slug in request.relevance if slug not in skip}
    needed = targets | set(walk(graph, targets, upstream=True, kinds=kinds, stop=skip))
    nodes = graph.nodes
    order = sorted(needed, key=lambda slug: nodes[slug]["position"])
    prerequisites: dict[str, list[str]] = {slug: [] for slug in order}
    dependents: dict[str, list[str]] = {slug: [] for slug in order}
    for slug in order:
        for other, attrs in graph.pred[slug].items():
            if other in needed and attrs["kind"] in kinds:
                prerequisites[slug].append(other)
                dependents[other].append(slug)
    # Squared relevance: an interviewer probes the core of a subfield in depth and
    # the periphery in passing, so a 1.0 concept outweighs two 0.5 ones.
    own_value = {
        slug: request.relevance.get(slug, 0.0) ** 2
        + QUESTION_BONUS * min(request.question_counts.get(slug, 0), 3)
        for slug in order
    }
    cost = {
        slug: remaining_minutes(graph, request, slug) + practice_minutes(request, slug)
        for slug in order
    }
    return _Needed(order, prerequisites, dependents, own_value, cost), skip


def apportioned_cost(needed: _Needed) -> dict[str, float]:
    """Each concept's cost plus a share of its prerequisites' (split among their dependents)."""
    share: dict[str, float] = {}
    for slug in needed.order:
        share[slug] = needed.cost[slug] + sum(
            share[p] / len(needed.dependents[p]) for p in needed.prerequisites[slug]
        )
    return share


def propagated_value(needed: _Needed) -> dict[str, float]:
    """Own value plus a damped share of the value of what the concept unlocks.

    A prerequisite of a valuable concept is worth learning even when that
    concept itself does not fit: interviewers probe the foundations too, and
    it is progress towards the target. Each concept passes half its value,
    split evenly, to its prerequisites, so value fades with distance.
    """
    value: dict[str, float] = {}
    for slug in reversed(needed.order):
        value[slug] = needed.own_value[slug] + VALUE_PASSED_DOWN * sum(
            value[d] / len(needed.prerequisites[d]) for d in needed.dependents[slug]
        )
    return value


def select(
    needed: _Needed, value: dict[str, float], budget: int
) -> tuple[set[str], list[tuple[str, str]]]:
    """Choose the concepts to learn within `budget` minutes; return them and the cuts.

    Greedy over prerequisite closures: concepts are taken in a priority order,
    each with every prerequisite not taken yet, when that whole closure still
    fits; taking closures whole keeps the kept set closed under prerequisites.
    Value per minute alone lets many cheap concepts crowd out one valuable
    concept with a long prerequisite chain (the knapsack greedy's known
    weakness), so three orders are tried (value per minute, value per square
    root of minutes, value alone) and the selection worth most is kept. A
    concept's walk stops at concepts already taken and gives up once its cost
    passes what is left, so each pass stays near O((V + E) log V).
    """
    if sum(needed.cost.values()) <= budget:
        return set(needed.order), []
    closure_cost = apportioned_cost(needed)
    position = {slug: index for index, slug in enumerate(needed.order)}
    orders = [
        lambda slug: -value[slug] / closure_cost[slug],
        lambda slug: -value[slug] / math.sqrt(closure_cost[slug]),
        lambda slug: -value[slug],
    ]
    best: tuple[tuple[float, float], set[str], list[tuple[str, str]]] | None = None
    for priority in orders:
        ranked = sorted(needed.order, key=lambda slug, p=priority: (p(slug), position[slug]))
        kept, cuts = _greedy_pass(needed, ranked, budget)
        # Judge by what the interview asks (own value); unlocked value only breaks ties,
        # since it would count a target's worth on prerequisites learned without it.
        worth = (
            round(sum(needed.own_value[slug] for slug in kept), 9),
            sum(value[slug] for slug in kept),
        )
        if best is None or worth > best[0]:
            best = (worth, kept, cuts)
    assert best is not None
    return best[1], best[2]


def _greedy_pass(
    needed: _Needed, ranked: list[str], budget: int
) -> tuple[set[str], list[tuple[str, str]]]:
    kept: set[str] = set()
    left = budget
    cuts: list[tuple[str, str]] = []
    for slug in ranked:
        if slug in kept:
            continue
        closure, cost = _missing_closure(needed, slug, kept, left)
        if closure is None:
            if needed.own_value[slug] > 0 or not needed.dependents[slug]:
                reason = (
                    f"value {needed.own_value[slug]:.2f}, but with the prerequisites it would "
                    f"add it needs more than the {left / 60:.1f} h left after more valuable "
                    "concepts"
                )
            else:
                blocked = ", ".join(needed.dependents[slug][:3])
                reason = (
                    f"a prerequisite of {blocked}, and with its own prerequisites it needs "
                    f"more than the {left / 60:.1f} h left after more valuable concepts"
                )
            cuts.append((slug, reason))
            continue
        kept |= closure
        left -= cost
    # A concept cut early may have been taken later as someone's prerequisite.
    return kept, [(slug, reason) for slug, reason in cuts if slug not in kept]


def _missing_closure(
    needed: _Needed, slug: str, kept: set[str], limit: int
) -> tuple[set[str] | None, int]:
    """`slug` and its prerequisites not yet kept, and their cost; None if over `limit`."""
    closure = {slug}
    cost = needed.cost[slug]
    stack = [slug]
    while stack:
        if cost > limit:
            return None, cost
        for prerequisite in needed.prerequisites[stack.pop()]:
            if prerequisite not in kept and prerequisite not in closure:
                closure.add(prerequisite)
                cost += needed.cost[prerequisite]
                stack.append(prerequisite)
    return (closure, cost) if cost <= limit else (None, cost)


def study_order(needed: _Needed, value: dict[str, float], kept: set[str]) -> list[str]:
    """Topological order of `kept` taking the most valuable per minute first."""
    position = {slug: index for index, slug in enumerate(needed.order)}
    waiting = {
        slug: sum(1 for p in needed.prerequisites[slug] if p in kept) for slug in needed.order
    }

    def key(slug: str) -> tuple[float, int, str]:
        return (-value[slug] / needed.cost[slug], position[slug], slug)

    heap = [key(slug) for slug in needed.order if slug in kept and waiting[slug] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        *_, slug = heapq.heappop(heap)
        order.append(slug)
        for dependent in needed.dependents[slug]:
            if dependent in kept:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heapq.heappush(heap, key(dependent))
    return order


def longest_chain(needed: _Needed) -> list[str]:
    """The longest prerequisite chain (by concepts) among the needed concepts."""
    length: dict[str, int] = {}
    best_prerequisite: dict[str, str | None] = {}
    for slug in needed.order:
        best = max(needed.prerequisites[slug], key=lambda p: (length[p], p), default=None)
        length[slug] = 1 + (length[best] if best else 0)
        best_prerequisite[slug] = best
    if not length:
        return []
    end: str | None = max(needed.order, key=lambda slug: (length[slug], slug))
    chain = []
    while end is not None:
        chain.append(end)
        end = best_prerequisite[end]
    return chain[::-1]


# --- days and placement -------------------------------------------------------------------


def make_days(request: PlanRequest) -> list[Day]:
    days = []
    current = request.start
    while current <= request.interview:
        blackout = current in request.blackout
        minutes = 0 if blackout else request.minutes_by_weekday[current.weekday()]
        interview_day = current == request.interview
        if interview_day:
            minutes = min(minutes, request.interview_day_review_minutes)
        reserved = min(minutes, request.already_used.get(current, 0))
        days.append(
            Day(
                current,
                minutes,
                blackout=blackout,
                interview_day=interview_day,
                reserved_minutes=reserved,
            )
        )
        current += timedelta(days=1)
    return days


def place_mocks(days: list[Day], request: PlanRequest, warnings: list[str]) -> None:
    """One mock per loop stage, on distinct days, as late as possible before the interview.

    The final part is the last 30% of study days (at least as many days as
    mocks); a mock that fits no day there goes earlier, and one that fits no
    day at all is shortened to the roomiest day with a warning.
    """
    study = [day for day in days if not day.interview_day and day.available_minutes > 0]
    if not request.mocks:
        return
    if not study:
        warnings.append("no study day before the interview: no mock interview could be scheduled")
        return
    window = max(len(request.mocks), math.ceil(0.3 * len(study)))
    candidates = study[-window:][::-1] + study[:-window][::-1]  # latest first, then earlier
    taken: set[date] = set()
    # Place the last loop stage latest, so mocks come in the order of the real loop.
    for mock in reversed(request.mocks):
        fitting = next(
            (d for d in candidates if d.date not in taken and d.free_minutes >= mock.minutes),
            None,
        )
        minutes = mock.minutes
        if fitting is None:
            free = [d for d in candidates if d.date not in taken and d.free_minutes > 0]
            if not free:
                warnings.append(f"no day left for a {mock.title} mock interview")
                continue
            fitting = max(free, key=lambda d: (d.free_minutes, d.date))
            minutes = fitting.free_minutes
            warnings.append(
                f"{mock.title} mock shortened to {minutes} min: no day has {mock.minutes} min free"
            )
        fitting.items.append(Item(MOCK, minutes, stage=mock.stage, note=mock.title))
        taken.add(fitting.date)


def learning_capacity(days: list[Day], request: PlanRequest) -> dict[date, int]:
    """Minutes each study day can give to learning, after mocks and the review share."""
    capacity = {}
    for day in days:
        if day.interview_day:
            continue
        capacity[day.date] = int(day.free_minutes * (1 - request.review_share))
    return capacity


def fill_learning(
    days: list[Day],
    order: list[str],
    minutes: Mapping[str, int],
    capacity: dict[date, int],
    min_session: int,
) -> tuple[dict[str, date], list[str]]:
    """Place `order` into the days; return each placed concept's last day and the unplaced.

    A concept that would leave a tail shorter than a session may dip into the
    day's review share to finish, and a split leaves a final session of at
    least `min_session` where it can, rather than a ten-minute stub.
    """
    study = [day for day in days if not day.interview_day]
    reserve = {day.date: day.free_minutes - capacity[day.date] for day in study}
    finished: dict[str, date] = {}
    index = 0
    for position, slug in enumerate(order):
        remaining = minutes[slug]
        sessions: list[tuple[Day, int, int]] = []  # day, minutes, minutes taken from reserve
        while remaining > 0 and index < len(study):
            day = study[index]
            free = capacity[day.date]
            overflow = remaining - free
            if overflow <= 0:
                sessions.append((day, remaining, 0))
                capacity[day.date] -= remaining
                remaining = 0
            elif overflow < min_session and overflow <= reserve[day.date]:
                sessions.append((day, remaining, overflow))
                capacity[day.date] = 0
                reserve[day.date] -= overflow
                remaining = 0
            elif free >= min_session and not _sliver(free, remaining, sessions, study, index):
                take = free
                if remaining - take < min_session and remaining - min_session >= min_session:
                    take = remaining - min_session
                sessions.append((day, take, 0))
                capacity[day.date] -= take
                remaining -= take
                index += 1
            else:
                index += 1
        if remaining > 0:  # out of days: give back the partial sessions, stop here
            for day, used, borrowed in sessions:
                capacity[day.date] += used - borrowed
                reserve[day.date] += borrowed
            return finished, order[position:]
        for number, (day, used, _) in enumerate(sessions, start=1):
            split = len(sessions) > 1
            day.items.append(
                Item(
                    LEARN,
                    used,
                    concept=slug,
                    part=number if split else None,
                    parts=len(sessions) if split else None,
                )
            )
        finished[slug] = sessions[-1][0].date
    return finished, []


def continue_parts(days: list[Day], request: PlanRequest, graph: nx.DiGraph) -> None:
    """Number the new sessions of a concept begun earlier after the sessions already done.

    A replan schedules only the rest of such a concept; "part 2/2" after a
    done "part 1/2", and a note with the minutes done, say it is a
    continuation rather than the whole concept again.
    """
    sessions: dict[str, list[Item]] = {}
    for day in days:
        for item in day.items:
            if item.kind == LEARN and item.concept in request.progress:
                sessions.setdefault(item.concept, []).append(item)
    for slug, items in sessions.items():
        before = request.progress_sessions.get(slug, 0)
        total = before + len(items)
        note = f"continued: {request.progress[slug]} of {learn_minutes(graph, slug)} min done"
        for number, item in enumerate(items, start=before + 1):
            item.part, item.parts = (number, total) if total > 1 else (None, None)
            item.note = note


def _sliver(free: int, remaining: int, sessions: list, study: list[Day], index: int) -> bool:
    """Would starting here only cut a sliver off a concept the next study day could hold whole?

    Then it starts tomorrow instead: one 90-minute session beats 30 minutes
    tonight and 60 tomorrow. A concept already under way, or one longer than
    tomorrow's time, is split as usual.
    """
    if sessions or 2 * free >= remaining or index + 1 >= len(study):
        return False
    tomorrow = study[index + 1]
    return not tomorrow.interview_day and tomorrow.free_minutes >= remaining


def _place_near(
    by_date: dict[date, Day], target: date, last: date, minutes: int, item: Item, slack: int = 1
) -> bool:
    """Put `item` on `target` or up to `slack` days later (not after `last`) if it fits."""
    for offset in range(slack + 1):
        day = by_date.get(target + timedelta(days=offset))
        if day is None or day.date > last or day.interview_day:
            continue
        if day.free_minutes >= minutes:
            day.items.append(item)
            return True
    return False


def place_follow_ups(
    days: list[Day],
    request: PlanRequest,
    finished: dict[str, date],
    order: list[str],
    graph: nx.DiGraph,
    warnings: list[str],
) -> None:
    """Practice after learning, reviews of shaky concepts, spaced and final reviews."""
    by_date = {day.date: day for day in days}
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    if not study:
        return
    last = study[-1].date
    final_days = [d.date for d in study[-FINAL_REVIEW_DAYS:]]

    for slug in order:
        practice = practice_minutes(request, slug)
        if slug in finished and practice:
            item = Item(PRACTICE, practice, concept=slug, note="interview questions")
            _place_near(by_date, finished[slug], last, practice, item, slack=2)

    for slug in sorted(request.shaky, key=lambda s: graph.nodes[s]["position"]):
        minutes = review_minutes(learn_minutes(graph, slug)) + 10
        for day in study:
            if day.free_minutes >= minutes:
                day.items.append(Item(REVIEW, minutes, concept=slug, note="shaky: refresh"))
                break

    planned = missed = 0
    for slug in order:
        if slug not in finished:
            continue
        minutes = review_minutes(learn_minutes(graph, slug))
        learned_on = finished[slug]
        wanted = [learned_on + timedelta(days=offset) for offset in REVIEW_OFFSETS]
        wanted = [d for d in wanted if d <= last and d not in final_days]
        final = next((d for d in final_days if d > learned_on), None)
        if final is not None:
            wanted.append(final)
        for target in wanted:
            planned += 1
            item = Item(REVIEW, minutes, concept=slug)
            if not _place_near(by_date, target, last, minutes, item):
                missed += 1
    if missed:
        warnings.append(f"{missed} of {planned} spaced reviews did not fit and were left out")

    interview_day = days[-1]
    if interview_day.interview_day and interview_day.available_minutes:
        for slug in [s for s in order if s in finished][:3]:
            if interview_day.free_minutes >= 10:
                interview_day.items.append(
                    Item(REVIEW, min(10, interview_day.free_minutes), concept=slug, note="light")
                )


def add_buffers(days: list[Day]) -> None:
    for day in days:
        if not day.interview_day and day.free_minutes >= MIN_BUFFER_MINUTES:
            day.items.append(Item(BUFFER, day.free_minutes, note="catch-up or rest"))


def _sort_items(day: Day) -> None:
    """Within a day: shaky refreshers, learning, practice, reviews, mock, buffer."""
    rank = {REVIEW: 0, LEARN: 1, PRACTICE: 2, MOCK: 4, BUFFER: 5}

    def key(item: Item) -> int:
        if item.kind == REVIEW and not item.note.startswith("shaky"):
            return 3
        return rank[item.kind]

    day.items.sort(key=key)  # stable: learning keeps its prerequisite order


# --- the whole planner ----------------------------------------------------------------------


def build_schedule(graph: nx.DiGraph, request: PlanRequest) -> Schedule:
    """Plan the days from `request.start` to the interview.

    Never raises for a plan that does not fit: what is cut is in the summary.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b")])  # doctest: +SKIP
    >>> build_schedule(g, PlanRequest(start=..., interview=..., ...))  # doctest: +SKIP
    """
    validate(graph, request)
    warnings: list[str] = []
    needed, _ = needed_subgraph(graph, request)
    days = make_days(request)
    place_mocks(days, request, warnings)
    capacity = learning_capacity(days, request)
    usable = sum(m for m in capacity.values() if m >= min(request.min_session_minutes, 30))
    value = propagated_value(needed)
    kept, cut_reasons = select(needed, value, usable)
    order = study_order(needed, value, kept)
    learn = {slug: remaining_minutes(graph, request, slug) for slug in order}
    finished, unplaced = fill_learning(days, order, learn, capacity, request.min_session_minutes)
    continue_parts(days, request, graph)
    for slug in unplaced:
        cut_reasons.append((slug, "did not fit: the study time before the interview ran out"))
    learned = [slug for slug in order if slug in finished]
    place_follow_ups(days, request, finished, learned, graph, warnings)
    add_buffers(days)
    for day in days:
        _sort_items(day)

    cuts = sorted(
        (
            Cut(slug, reason, round(value[slug], 3), needed.cost[slug])
            for slug, reason in cut_reasons
        ),
        key=lambda cut: (-cut.value, cut.concept),
    )
    if cuts:
        cut_hours = sum(cut.minutes for cut in cuts) / 60
        warnings.insert(
            0,
            f"{len(cuts)} of {len(needed.order)} needed concepts do not fit ({cut_hours:.1f} h); "
            "see the cut list",
        )
    total_value = sum(needed.own_value.values())
    kept_value = sum(needed.own_value[slug] for slug in learned)
    mock_minutes = sum(mock.minutes for mock in request.mocks)
    summary = Summary(
        needed_minutes=sum(needed.cost.values()) + mock_minutes,
        available_minutes=sum(day.available_minutes for day in days),
        scheduled_minutes=sum(
            item.minutes for day in days for item in day.items if item.kind != BUFFER
        ),
        coverage=round(kept_value / total_value, 4) if total_value else 1.0,
        learned=learned,
        cut=cuts,
        longest_chain=longest_chain(needed),
        warnings=warnings,
    )
    return Schedule(request.start, request.interview, days, summary)
