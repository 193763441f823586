"""How far along a plan is: minutes done against minutes planned, day by day.

Pure (plain values in, values out), so the plan list, the plan page, its
chart and the answer to a mark all count the same way:

- Buffers ("catch-up or rest") are slack, not work: they are never counted.
- A skipped item was taken off the plan by its owner: it leaves the planned
  total (and is reported as skipped) instead of counting as missed.
- After a replan, the items missed before the day it replanned from were
  rescheduled from that day on: counting both the missed copy and the new
  one would leave the plan "behind" forever, so the missed copies are
  reported apart and left out of the planned total.

"Behind" and "ahead" are counted in study days, the unit a candidate plans in:
behind = the past study days whose work, added up from the start, the done
minutes do not cover yet; ahead = the study days after today that they cover
already. Today's own work is never "behind": the day is not over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from planner.models import ItemKind, ItemStatus
from planner.selection import hours_text


@dataclass(frozen=True)
class DayProgress:
    date: date
    planned: int  # minutes of work on the plan that day (done or still to do)
    done: int
    interview_day: bool = False
    blackout: bool = False


@dataclass(frozen=True)
class Progress:
    today: date
    days: tuple[DayProgress, ...]
    planned: int
    done: int
    skipped: int
    missed_before_replan: int
    behind: int  # study days
    ahead: int  # study days after today

    @property
    def percent(self) -> int:
        """Whole percent done, rounded down: 99% until the last minute is done."""
        return self.done * 100 // self.planned if self.planned else 0

    @property
    def today_planned(self) -> int:
        return sum(day.planned for day in self.days if day.date == self.today)

    @property
    def today_done(self) -> int:
        return sum(day.done for day in self.days if day.date == self.today)

    @property
    def pace(self) -> str:
        """'3 study days behind', '1 study day ahead' or 'on track'."""
        if self.behind:
            return f"{self.behind} study day{'s' if self.behind != 1 else ''} behind"
        if self.ahead:
            return f"{self.ahead} study day{'s' if self.ahead != 1 else ''} ahead"
        return "on track"

    @property
    def amount(self) -> str:
        """'20 h 30 of 40 h done (51%)', in the hours the rest of the plan speaks."""
        done = hours_text(self.done) if self.done else "0"
        return f"{done} of {hours_text(self.planned)} done ({self.percent}%)"

    @property
    def text(self) -> str:
        """'20 h 30 of 40 h done (51%), 3 study days behind': the chart's summary."""
        text = self.amount
        if self.days and self.today < self.days[0].date:
            first = self.days[0].date
            return text + f", starts {first:%A} {first.day} {first:%B}"
        return text + ", " + self.pace


def measure(
    items: Iterable[tuple[date, str, str, int]],
    *,
    today: date,
    days: Iterable[tuple[date, bool, bool]] = (),
    replanned_from: date | None = None,
) -> Progress:
    """Progress of a plan from its items as (date, kind, status, minutes).

    days: the plan's calendar as (date, interview_day, blackout), so days
        without items still appear in the series; item dates outside it are
        added.
    replanned_from: the first day of the latest replan (None if never
        replanned); work left pending before it was rescheduled.
    """
    planned: dict[date, int] = {}
    done: dict[date, int] = {}
    meta: dict[date, tuple[bool, bool]] = {}
    for when, interview_day, blackout in days:
        meta[when] = (interview_day, blackout)
        planned.setdefault(when, 0)
    skipped = missed = 0
    for when, kind, status, minutes in items:
        planned.setdefault(when, 0)
        if kind == ItemKind.BUFFER:
            continue
        if status == ItemStatus.SKIPPED:
            skipped += minutes
            continue
        if status != ItemStatus.DONE and replanned_from is not None and when < replanned_from:
            missed += minutes
            continue
        planned[when] += minutes
        if status == ItemStatus.DONE:
            done[when] = done.get(when, 0) + minutes
    series = tuple(
        DayProgress(when, planned[when], done.get(when, 0), *meta.get(when, (False, False)))
        for when in sorted(planned)
    )
    total_done = sum(done.values())
    behind = ahead = 0
    running = 0
    for day in series:
        if not day.planned:
            continue
        running += day.planned
        if day.date < today and running > total_done:
            behind += 1
        elif day.date > today and running <= total_done:
            ahead += 1
    return Progress(
        today=today,
        days=series,
        planned=sum(planned.values()),
        done=total_done,
        skipped=skipped,
        missed_before_replan=missed,
        behind=behind,
        ahead=ahead,
    )
