"""Days and where things go in them: capacity, mock interviews, learning sessions, buffers.

Pure functions over planner.domain dataclasses. Learning fills the days in
study order, each concept split across days when it is longer than a day's
free time (never in sessions shorter than the minimum, except the final
remainder); mocks go first, in the final part of the plan.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import networkx as nx

from planner.domain import (
    BUFFER,
    LEARN,
    MIN_BUFFER_MINUTES,
    MOCK,
    PRACTICE,
    REFRESHER_NOTE,
    REVIEW,
    Day,
    Item,
    PlanRequest,
)
from planner.selection import learn_minutes


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


STUDY_DAYS_PER_MOCK = 3  # a short plan rehearses fewer stages: learning comes first


def place_mocks(
    days: list[Day],
    request: PlanRequest,
    warnings: list[str],
    unprepared: Collection[str] = (),
) -> None:
    """One mock per loop stage, on distinct days, spread over the final part of the plan.

    A plan has at most one mock per three study days (and always one): three
    mocks in a three-day plan would take a third of the time the core topics
    need. The first stages of the loop are kept, those `unprepared` (none of their
    round's groundwork learned or known) after the others: a short plan kept an
    ML coding mock it warned came unprepared, and left out the behavioral mock
    after teaching the STAR stories it would rehearse.

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
    room = max(1, len(study) // STUDY_DAYS_PER_MOCK)
    given = request.mocks
    kept = set(sorted(range(len(given)), key=lambda i: given[i].stage in unprepared)[:room])
    mocks = [mock for i, mock in enumerate(given) if i in kept]  # the loop's order
    if len(mocks) < len(given):
        left_out = ", ".join(mock.title for i, mock in enumerate(given) if i not in kept)
        warnings.append(
            f"{len(study)} study days leave room for {len(mocks)} mock interview(s), not "
            f"{len(request.mocks)}: left out {left_out} (the time goes to learning)"
        )
    window = max(len(mocks), math.ceil(0.3 * len(study)))
    final_part = study[-window:]
    taken: set[date] = set()
    # Spread over the final part, the last loop stage on its last day: mocks come in the
    # order of the real loop, with days between them to work on what each one showed.
    spots = _spread(len(mocks), len(final_part))
    for mock, spot in reversed(list(zip(mocks, spots, strict=True))):
        nearby = [
            day
            for _, day in sorted(
                enumerate(final_part),
                key=lambda pair: (abs(pair[0] - spot), -pair[1].date.toordinal()),
            )
        ]
        candidates = nearby + study[:-window][::-1]  # then earlier, latest first
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
            if minutes < mock.minutes // 2:  # a six-minute mock rehearses nothing
                warnings.append(
                    f"no day has room for a {mock.title} mock interview "
                    f"({mock.minutes} min; the most free on a day is {minutes} min)"
                )
                continue
            warnings.append(
                f"{mock.title} mock shortened to {minutes} min: no day has {mock.minutes} min free"
            )
        fitting.items.append(Item(MOCK, minutes, stage=mock.stage, note=mock.title))
        taken.add(fitting.date)


def _spread(count: int, days: int) -> list[int]:
    """`count` day indexes spread evenly over `days` days, the last on the last day."""
    if count <= 0:
        return []
    if count == 1:
        return [days - 1]
    return [round(i * (days - 1) / (count - 1)) for i in range(count)]


CONSOLIDATION_AFTER_DAYS = 7  # a plan with this many study days keeps its last one new-free


def learning_capacity(
    days: list[Day], review_share: float, min_session: int = 0
) -> dict[date, int]:
    """Minutes each study day can give to learning, after mocks and the review share.

    A day whose share would leave less than one session keeps a session
    instead: the review share must not make a short day useless. In a plan of
    a week or more the last study day gets no learning time: it is for final
    reviews and the last mock, as a candidate would want the day before. (What
    they leave idle may come back to learning in a plan that cuts topics:
    planner.core's buffer rounds; enforced, that cost 99 of 2,854 core topics
    over 275 plans and left two hours idle on a last weekend day.)
    """
    capacity = {}
    for day in days:
        if day.interview_day:
            continue
        # Half a minute up (not round()'s half to even): floored, 90-minute days gave 67
        # each and a plan came a minute short of a topic that fitted its idle hour.
        shared = math.floor(day.free_minutes * (1 - review_share) + 0.5)
        capacity[day.date] = max(shared, min(day.free_minutes, min_session))
    study = [day.date for day in days if not day.interview_day and day.available_minutes > 0]
    if len(study) >= CONSOLIDATION_AFTER_DAYS:
        capacity[study[-1]] = 0
    return capacity


def usable_minutes(capacity: Mapping[date, int], min_session: int) -> int:
    """Learning minutes on days with room for at least one session."""
    return sum(minutes for minutes in capacity.values() if minutes >= min(min_session, 30))


@dataclass
class Refreshers:
    """Refreshers of shaky concepts, placed by the fill just before the first session that
    builds on them: on the first day from there with room, the session starting that day.

    Placed ahead of the learning, two a day in the order the plan needs them, they
    made walls of refreshers in the first days and still came late: with a stack of
    shaky concepts under the first topic, the Transformer's was refreshed on Thursday
    for a topic learned on Monday. Placed by the fill they come when needed, parts
    before the whole, and the learning waits for them.
    """

    minutes: Mapping[str, int]  # refresher -> its minutes
    needs: Mapping[str, Sequence[str]]  # concept -> the refreshers due before it, parts first
    budget: int  # the minutes refreshers may take in all (REFRESHER_SHARE of the study time)
    order: Sequence[str] = ()  # every refresher, in the order the plan needs them
    placed: dict[str, date] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # over the budget, or no day had room

    def refreshed_by(self, slug: str) -> date | None:
        """The day the last refresher `slug` needs is placed on, None if it needs none."""
        return max(
            (self.placed[r] for r in self.needs.get(slug, ()) if r in self.placed), default=None
        )

    def due(self, slug: str) -> list[str]:
        return [
            r for r in self.needs.get(slug, ()) if r not in self.placed and r not in self.dropped
        ]


@dataclass
class Filled:
    """What fill_learning placed: each learned concept's last day, the concepts of the
    order from the first that found no room on, and the days passed over so that a long
    concept could start whole the next day (_sliver)."""

    finished: dict[str, date]
    unplaced: list[str]
    passed_over: list[date]


def fill_learning(
    days: list[Day],
    order: list[str],
    minutes: Mapping[str, int],
    capacity: dict[date, int],
    min_session: int,
    notes: Mapping[str, str] | None = None,
    prerequisites: Mapping[str, Sequence[str]] | None = None,
    refreshers: Refreshers | None = None,
    whole_starts: bool = True,
) -> Filled:
    """Place `order` into the days, in order, until one concept finds no room.

    A concept that would leave a tail shorter than a session may dip into the
    day's review share to finish, and a split leaves a final session of at
    least `min_session` where it can, rather than a ten-minute stub. A day passed
    over so that a long concept starts whole the next day (_sliver) is not lost:
    with `prerequisites` (the plan's, within `order`), a later concept that fits
    in it whole (finishing in its review share as above, if need be), and whose
    prerequisites are learned by then, is learned there.
    With `refreshers`, those a concept needs are placed just before its first session.
    Without `whole_starts`, no day is passed over: a long concept starts in whatever
    session the day has left, for when the days hold the concepts only so packed.
    """
    study = [day for day in days if not day.interview_day]
    reserve = {day.date: day.free_minutes - capacity[day.date] for day in study}
    finished: dict[str, date] = {}
    passed_over: list[int] = []  # study days _sliver skipped, in order
    index = 0
    for position, slug in enumerate(order):
        remaining = minutes[slug]
        due = refreshers.due(slug) if refreshers is not None else []
        if due:
            assert refreshers is not None
            index = _refresh(refreshers, due, study, capacity, index)
        earlier = (
            None
            if due
            else _earlier_day(
                slug,
                remaining,
                passed_over,
                study,
                capacity,
                finished,
                prerequisites,
                refreshers.refreshed_by(slug) if refreshers is not None else None,
                reserve,
                min_session,
            )
        )
        if earlier is not None:
            borrowed = max(0, remaining - capacity[earlier.date])
            capacity[earlier.date] -= remaining - borrowed
            reserve[earlier.date] -= borrowed
            note = (notes or {}).get(slug, "")
            earlier.items.append(Item(LEARN, remaining, concept=slug, note=note))
            finished[slug] = earlier.date
            continue
        sessions: list[tuple[Day, int, int]] = []  # day, minutes, minutes taken from reserve
        while remaining > 0 and index < len(study):
            day = study[index]
            free = capacity[day.date]
            overflow = remaining - free
            if overflow <= 0:
                sessions.append((day, remaining, 0))
                capacity[day.date] -= remaining
                remaining = 0
            elif remaining <= _finishing_room(free, reserve[day.date], min_session):
                sessions.append((day, remaining, overflow))
                capacity[day.date] = 0
                reserve[day.date] -= overflow
                remaining = 0
            elif free >= min_session and not (
                whole_starts and _sliver(free, remaining, sessions, study, index)
            ):
                take = free
                if remaining - take < min_session and remaining - min_session >= min_session:
                    take = remaining - min_session
                sessions.append((day, take, 0))
                capacity[day.date] -= take
                remaining -= take
                index += 1
            else:
                if free >= min_session and not sessions:  # passed over by _sliver
                    passed_over.append(index)
                index += 1
        if remaining > 0:  # out of days: give back the partial sessions, stop here
            for day, used, borrowed in sessions:
                capacity[day.date] += used - borrowed
                reserve[day.date] += borrowed
            return Filled(finished, order[position:], [study[i].date for i in passed_over])
        for number, (day, used, _) in enumerate(sessions, start=1):
            split = len(sessions) > 1
            day.items.append(
                Item(
                    LEARN,
                    used,
                    concept=slug,
                    part=number if split else None,
                    parts=len(sessions) if split else None,
                    note=(notes or {}).get(slug, ""),
                )
            )
        finished[slug] = sessions[-1][0].date
    return Filled(finished, [], [study[i].date for i in passed_over])


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
            item.note = f"{item.note}; {note}" if item.note else note


def _refresh(
    refreshers: Refreshers, due: list[str], study: list[Day], capacity: dict[date, int], index: int
) -> int:
    """Place the `due` refreshers from study day `index` on, each on the first day whose
    learning time holds it; the day the concept needing them may start on."""
    for slug in due:
        minutes = refreshers.minutes[slug]
        if minutes > refreshers.budget:
            refreshers.dropped.append(slug)
            continue
        found = next(
            (k for k in range(index, len(study)) if capacity[study[k].date] >= minutes), None
        )
        if found is None:
            refreshers.dropped.append(slug)
            continue
        day = study[found]
        capacity[day.date] -= minutes
        day.items.append(Item(REVIEW, minutes, concept=slug, note=REFRESHER_NOTE))
        refreshers.placed[slug] = day.date
        refreshers.budget -= minutes
        index = found
    return index


def _earlier_day(
    slug: str,
    remaining: int,
    passed_over: list[int],
    study: list[Day],
    capacity: Mapping[date, int],
    finished: Mapping[str, date],
    prerequisites: Mapping[str, Sequence[str]] | None,
    not_before: date | None,
    reserve: Mapping[date, int],
    min_session: int,
) -> Day | None:
    """The first day _sliver passed over that holds `slug` whole, its prerequisites learned
    by then (earlier, or earlier that day) and not before `not_before` (its refreshers);
    None without `prerequisites`. As a session finishing a concept, it may end in the
    day's review share (_finishing_room)."""
    if prerequisites is None:
        return None
    for index in passed_over:
        day = study[index]
        if not_before is not None and day.date < not_before:
            continue
        room = _finishing_room(capacity[day.date], reserve[day.date], min_session)
        if room >= remaining and all(
            p in finished and finished[p] <= day.date for p in prerequisites.get(slug, ())
        ):
            return day
    return None


def _finishing_room(free: int, reserve: int, min_session: int) -> int:
    """The minutes a session that finishes its concept may take on a day with `free`
    learning minutes: less than a session more from the day's review share (`reserve`),
    rather than a stub of it left for the next day."""
    return free + min(reserve, max(0, min_session - 1))


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


def add_buffers(days: list[Day]) -> None:
    for day in days:
        if not day.interview_day and day.free_minutes >= MIN_BUFFER_MINUTES:
            day.items.append(Item(BUFFER, day.free_minutes, note="catch-up or rest"))


def sort_items(day: Day) -> None:
    """Within a day: shaky refreshers, learning, practice, reviews, mock, buffer."""
    rank = {REVIEW: 0, LEARN: 1, PRACTICE: 2, MOCK: 4, BUFFER: 5}

    def key(item: Item) -> int:
        if item.kind == REVIEW and not item.note.startswith("shaky"):
            return 3
        return rank[item.kind]

    day.items.sort(key=key)  # stable: learning keeps its prerequisite order
