"""What follows learning: question practice, refreshers, spaced reviews, the final reviews.

Pure functions over planner.domain dataclasses, run after learning is placed,
in the time learning left. Spaced reviews come about 1, 3 and 7 days after a
concept is learned, in learning order; the final reviews (one per concept in
the last study days, and a light review on the interview day) go to the most
relevant concepts first, since those are what the interview will probe.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta

import networkx as nx

from planner.domain import (
    FINAL_REVIEW_DAYS,
    MAX_PRACTICE_QUESTIONS,
    PRACTICE,
    PRACTICE_MINUTES_PER_QUESTION,
    REVIEW,
    REVIEW_OFFSETS,
    Day,
    Item,
    PlanRequest,
)
from planner.selection import learn_minutes

INTERVIEW_DAY_REVIEWS = 3
LIGHT_REVIEW_MINUTES = 10


def practice_minutes(request: PlanRequest, slug: str) -> int:
    questions = min(request.question_counts.get(slug, 0), MAX_PRACTICE_QUESTIONS)
    return questions * PRACTICE_MINUTES_PER_QUESTION


def review_minutes(learn: int) -> int:
    """Five minutes per hour of learning, 5 to 15: recall, not re-reading."""
    return min(15, max(5, 5 * round(learn / 60)))


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


REFRESHERS_PER_DAY = 2
REFRESHER_NOTE = "shaky: refresh"  # how a refresher is told apart from a spaced review
REFRESHER_SHARE = 0.15  # of the study time at most: refreshers never crowd out new topics


def refresher_order(graph: nx.DiGraph, request: PlanRequest, order: list[str]) -> list[str]:
    """The shaky concepts this plan leans on, in the order the plan first needs them.

    A shaky concept matters when it is a topic itself or a concept the plan
    learns rests on it directly; it is refreshed before the first of those is
    learned. Shaky concepts nothing in the plan rests on are left alone.
    """
    first_use = {slug: index for index, slug in reversed(list(enumerate(order)))}
    ranked = []
    for slug in request.shaky:
        uses = [first_use[d] for d in graph.successors(slug) if d in first_use]
        relevance = request.relevance.get(slug, 0.0)
        if uses or relevance:
            ranked.append(
                (min(uses, default=len(order)), -relevance, graph.nodes[slug]["position"], slug)
            )
    return [slug for *_, slug in sorted(ranked)]


def refresher_minutes(graph: nx.DiGraph, slug: str) -> int:
    return review_minutes(learn_minutes(graph, slug)) + 10


def refresher_reserve(
    days: list[Day], request: PlanRequest, graph: nx.DiGraph, needed: Collection[str]
) -> int:
    """Learning minutes to hold back for the refreshers the plan may build on: those of
    shaky topics and of shaky concepts a needed concept rests on, within REFRESHER_SHARE."""
    study = sum(d.free_minutes for d in days if not d.interview_day and d.available_minutes > 0)
    room = int(REFRESHER_SHARE * study)
    reserve = 0
    for minutes in sorted(
        refresher_minutes(graph, slug)
        for slug in request.shaky
        if request.relevance.get(slug) or any(d in needed for d in graph.successors(slug))
    ):
        if reserve + minutes > room:  # only whole refreshers: a part of one helps nobody
            break
        reserve += minutes
    return reserve


def place_refreshers(
    days: list[Day], refreshers: list[str], graph: nx.DiGraph, warnings: list[str]
) -> dict[str, date]:
    """A refresher for each shaky concept the plan leans on, in `refreshers` order, early.

    Shaky concepts are on the candidate's record, so the interview will go
    there: each is refreshed before the plan first builds on it, at most two a
    day while that suffices, and in at most REFRESHER_SHARE of the study time,
    so that a short plan still learns its core topics. Returns the day of each.
    """
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    budget = int(REFRESHER_SHARE * sum(d.free_minutes for d in study))
    refreshed: dict[str, date] = {}
    waiting = list(refreshers)
    for per_day in (REFRESHERS_PER_DAY, None):
        placed: dict[date, int] = {}
        left = []
        for slug in waiting:
            minutes = refresher_minutes(graph, slug)
            day = next(
                (
                    d
                    for d in study
                    if d.free_minutes >= minutes
                    and (per_day is None or placed.get(d.date, 0) < per_day)
                ),
                None,
            )
            if day is None or minutes > budget:
                left.append(slug)
                continue
            day.items.append(Item(REVIEW, minutes, concept=slug, note=REFRESHER_NOTE))
            placed[day.date] = placed.get(day.date, 0) + 1
            refreshed[slug] = day.date
            budget -= minutes
        waiting = left
    if waiting:
        warnings.append(
            f"{len(waiting)} of {len(refreshers)} refreshers of shaky concepts the plan builds "
            "on did not fit and were left out (the last needed)"
        )
    return refreshed


def place_follow_ups(
    days: list[Day],
    request: PlanRequest,
    finished: dict[str, date],
    learned: list[str],
    priority: Mapping[str, float],
    graph: nx.DiGraph,
    warnings: list[str],
    refreshed: Mapping[str, date] | None = None,
) -> None:
    """Practice after learning, spaced reviews, then the final reviews.

    `learned` is in learning order; `priority` ranks concepts for the final
    reviews (relevance, with prerequisites inheriting a share of it). Refreshed
    shaky concepts get practice and a final review too: a core topic the
    candidate is rusty on is asked about as much as one they learn here.
    """
    refreshed = dict(refreshed or {})
    studied = {**refreshed, **finished}
    covered = learned + [slug for slug in refreshed if slug not in finished]
    by_date = {day.date: day for day in days}
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    if not study:
        return
    last = study[-1].date
    final_days = [d.date for d in study[-FINAL_REVIEW_DAYS:]]

    for slug in covered:
        practice = practice_minutes(request, slug)
        if practice:
            item = Item(PRACTICE, practice, concept=slug, note="interview questions")
            _place_near(by_date, studied[slug], last, practice, item, slack=2)

    planned = missed = 0
    for slug in learned:
        minutes = review_minutes(learn_minutes(graph, slug))
        for offset in REVIEW_OFFSETS:
            target = finished[slug] + timedelta(days=offset)
            if target > last or target in final_days:
                continue
            planned += 1
            if not _place_near(by_date, target, last, minutes, Item(REVIEW, minutes, concept=slug)):
                missed += 1
    position = {slug: index for index, slug in enumerate(covered)}
    for slug in sorted(covered, key=lambda s: (-priority.get(s, 0.0), position[s])):
        final = next((d for d in final_days if d > studied[slug]), None)
        if final is None:
            continue
        minutes = review_minutes(learn_minutes(graph, slug))
        planned += 1
        item = Item(REVIEW, minutes, concept=slug, note="final review")
        if not _place_on_any(by_date, [d for d in final_days if d >= final], minutes, item):
            missed += 1
    if missed:
        warnings.append(f"{missed} of {planned} spaced reviews did not fit and were left out")

    interview_day = days[-1]
    if interview_day.interview_day and interview_day.available_minutes:
        ranked = sorted(covered, key=lambda s: (-priority.get(s, 0.0), position[s]))
        for slug in ranked[:INTERVIEW_DAY_REVIEWS]:
            if interview_day.free_minutes < LIGHT_REVIEW_MINUTES:
                break
            interview_day.items.append(
                Item(REVIEW, LIGHT_REVIEW_MINUTES, concept=slug, note="light")
            )


def _place_on_any(by_date: dict[date, Day], dates: list[date], minutes: int, item: Item) -> bool:
    for when in dates:
        if by_date[when].free_minutes >= minutes:
            by_date[when].items.append(item)
            return True
    return False
