"""The progress chart's geometry: one bar per day, planned minutes behind done minutes.

The plan page draws it as inline SVG from these numbers (template
planner/_progress.html), so it needs no JavaScript or chart library and the
answer to a mark can send it again as a fragment. Pure: a Progress in,
coordinates and labels out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from planner.progress import Progress

HEIGHT = 210
TOP = 22  # room for the "today" and "interview" labels
BOTTOM = 178  # the x axis
LEFT = 46  # room for "10 h"
RIGHT = 12
PLOT_WIDTH = 620  # the bars share this, within MIN_STEP..MAX_STEP each
MIN_STEP = 9
MAX_STEP = 34
LABEL_GAP = 64  # date labels closer than this would run together


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    planned_y: float
    planned_height: float
    done_y: float
    done_height: float
    past: bool  # before today: work still open there was missed
    label: str  # "Tue 1 Dec: 60 of 112 min done"


@dataclass(frozen=True)
class Chart:
    width: float
    height: int
    top: int
    bottom: int
    left: int
    right: float
    bars: tuple[Bar, ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str], ...]
    today_x: float | None
    interview_x: float | None


def _day(when: date) -> str:
    return f"{when:%a} {when.day} {when:%b}"


def _hours_axis(most: int) -> tuple[int, int]:
    """(top of the axis, step between ticks) in minutes: whole hours, at most ~5 ticks."""
    hours = max(1, math.ceil(most / 60))
    step = next(s for s in (1, 2, 3, 4, 6, 8, 12, 24) if hours / s <= 5)
    return math.ceil(hours / step) * step * 60, step * 60


def progress_chart(progress: Progress) -> Chart:
    days = progress.days
    count = max(1, len(days))
    step = min(MAX_STEP, max(MIN_STEP, PLOT_WIDTH / count))
    width = LEFT + step * count + RIGHT
    top_minutes, tick = _hours_axis(max((d.planned for d in days), default=0))
    scale = (BOTTOM - TOP) / top_minutes

    def y(minutes: int) -> float:
        return round(BOTTOM - minutes * scale, 1)

    bars, labels = [], []
    today_x = interview_x = None
    last_label = -LABEL_GAP
    for index, day in enumerate(days):
        x = LEFT + index * step
        centre = round(x + step / 2, 1)
        bars.append(
            Bar(
                x=round(x + step * 0.15, 1),
                width=round(step * 0.7, 1),
                planned_y=y(day.planned),
                planned_height=round(day.planned * scale, 1),
                done_y=y(day.done),
                done_height=round(day.done * scale, 1),
                past=day.date < progress.today,
                label=f"{_day(day.date)}: {day.done} of {day.planned} min done"
                + (" (interview day)" if day.interview_day else ""),
            )
        )
        if day.date == progress.today:
            today_x = centre
        if day.interview_day:
            interview_x = centre
        if (index == 0 or day.date.weekday() == 0) and centre - last_label >= LABEL_GAP:
            labels.append((centre, f"{day.date.day} {day.date:%b}"))
            last_label = centre
    ticks = tuple(
        (y(minutes), f"{minutes // 60} h" if minutes else "0")
        for minutes in range(0, top_minutes + 1, tick)
    )
    return Chart(
        width=round(width, 1),
        height=HEIGHT,
        top=TOP,
        bottom=BOTTOM,
        left=LEFT,
        right=round(width - RIGHT, 1),
        bars=tuple(bars),
        y_ticks=ticks,
        x_labels=tuple(labels),
        today_x=today_x,
        interview_x=interview_x,
    )
