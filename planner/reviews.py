"""What follows learning: question practice, refreshers, spaced reviews, the final reviews.

Pure functions over planner.domain dataclasses, run after learning is placed,
in the time learning left (each study day keeps a share for them). Reviews
fall where the memory model (planner.memory.Forecast, FSRS) says a concept is
due: from the person's card when they have rated the concept, else from the
self-test after the session that studies it, each planned review taken as
rated Good and no interval running past the interview. The final one to three
study days then go to the concepts whose forecast recall at the interview is
below the target retention, the most at risk for their relevance first, since
those are what the interview will probe and the person would forget.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import networkx as nx
from fsrs import Card

from planner.domain import (
    FINAL_REVIEW_DAYS,
    MAX_PRACTICE_QUESTIONS,
    PRACTICE,
    PRACTICE_MINUTES_PER_QUESTION,
    REFRESHER_NOTE,
    REVIEW,
    Day,
    Item,
    PlanRequest,
)
from planner.filling import Refreshers
from planner.memory import Forecast
from planner.selection import learn_minutes

INTERVIEW_DAY_REVIEWS = 3
LIGHT_REVIEW_MINUTES = 10


def practice_minutes(questions: int) -> int:
    """A practice block's minutes for `questions` questions (at most MAX_PRACTICE_QUESTIONS
    are asked in one block)."""
    return min(questions, MAX_PRACTICE_QUESTIONS) * PRACTICE_MINUTES_PER_QUESTION


def review_minutes(learn: int) -> int:
    """Five minutes per hour of learning, 5 to 15: recall, not re-reading."""
    return min(15, max(5, 5 * round(learn / 60)))


def _place_near(
    by_date: dict[date, Day], target: date, last: date, minutes: int, item: Item, slack: int = 1
) -> date | None:
    """Put `item` on `target` or up to `slack` days later (not after `last`) if it fits;
    the day it went to."""
    for offset in range(slack + 1):
        day = by_date.get(target + timedelta(days=offset))
        if day is None or day.date > last or day.interview_day:
            continue
        if day.free_minutes >= minutes:
            day.items.append(item)
            return day.date
    return None


REFRESHERS_PER_DAY = 2
REFRESHER_SHARE = 0.15  # of the study time at most: refreshers never crowd out new topics


def refresher_order(graph: nx.DiGraph, request: PlanRequest, order: list[str]) -> list[str]:
    """The shaky concepts this plan leans on, in the order the plan first needs them.

    A shaky concept matters when it is a topic itself, a concept the plan
    learns rests on it directly, or a shaky concept that matters rests on it
    (attention under a shaky Transformer); it is refreshed before the first of
    those is learned, and before the shaky concepts resting on it: the parts
    before the whole. Shaky concepts nothing in the plan rests on are left alone.
    """
    first_use = {slug: index for index, slug in reversed(list(enumerate(order)))}
    shaky = request.shaky - request.must  # a shaky must-have is learned, not refreshed
    position = {slug: graph.nodes[slug]["position"] for slug in shaky}
    use: dict[str, int] = {}
    for slug in sorted(shaky, key=position.__getitem__, reverse=True):
        uses = [first_use[d] for d in graph.successors(slug) if d in first_use]
        uses += [use[d] for d in graph.successors(slug) if d in use]
        if uses or request.relevance.get(slug, 0.0):
            use[slug] = min(uses, default=len(order))
    return sorted(use, key=lambda slug: (use[slug], position[slug]))


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
        for slug in request.shaky - request.must
        if request.relevance.get(slug) or any(d in needed for d in graph.successors(slug))
    ):
        if reserve + minutes > room:  # only whole refreshers: a part of one helps nobody
            break
        reserve += minutes
    return reserve


def refresher_plan(
    days: list[Day], request: PlanRequest, graph: nx.DiGraph, order: list[str]
) -> Refreshers:
    """The refreshers of the shaky concepts this plan leans on (refresher_order), for the
    fill to place just before the first session that builds on each (filling.Refreshers),
    within REFRESHER_SHARE of the study time so that a short plan still learns its core
    topics. A concept needs the refreshers of the shaky concepts it rests on directly and
    of the shaky concepts those rest on: the parts before the whole."""
    wanted = refresher_order(graph, request, order)
    rank = {slug: index for index, slug in enumerate(wanted)}
    position = {slug: graph.nodes[slug]["position"] for slug in wanted}
    needs: dict[str, list[str]] = {}
    for slug in order:
        found = {p for p in graph.predecessors(slug) if p in rank}
        stack = list(found)
        while stack:
            for part in graph.predecessors(stack.pop()):
                if part in rank and part not in found:
                    found.add(part)
                    stack.append(part)
        if found:
            needs[slug] = sorted(found, key=lambda r: (position[r], rank[r]))
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    minutes = {slug: refresher_minutes(graph, slug) for slug in wanted}
    budget = int(REFRESHER_SHARE * sum(d.free_minutes for d in study))
    return Refreshers(
        minutes=minutes,
        needs=needs,
        budget=budget,
        order=wanted,
        dropped=_beyond_budget(graph, request, wanted, needs, minutes, budget),
    )


def _beyond_budget(
    graph: nx.DiGraph,
    request: PlanRequest,
    wanted: list[str],
    needs: Mapping[str, Sequence[str]],
    minutes: Mapping[str, int],
    budget: int,
) -> list[str]:
    """The refreshers left out when they do not all fit the budget: those that matter
    least to the plan (the relevance of the refreshed concept, or of the most relevant
    concept of the plan or shaky concept refreshed that rests on it: a part weighs what
    its whole does), the rest kept whole, in plan order.

    Kept in the order the plan needed them, the first shaky prerequisites of the first
    topics took the budget, and a vision plan for an ML engineer rusty on vision left the
    convolution (a core topic of the team) unrefreshed for the prerequisites of
    quantization.
    """
    if sum(minutes[slug] for slug in wanted) <= budget:
        return []
    weight = {slug: request.relevance.get(slug, 0.0) for slug in wanted}
    for concept, parts in needs.items():
        for part in parts:
            weight[part] = max(weight[part], request.relevance.get(concept, 0.0))
    for whole in sorted(wanted, key=lambda s: graph.nodes[s]["position"], reverse=True):
        for part in graph.predecessors(whole):  # a whole before its parts: weight flows down
            if part in weight:
                weight[part] = max(weight[part], weight[whole])
    rank = {slug: index for index, slug in enumerate(wanted)}
    kept: set[str] = set()
    left = budget
    for slug in sorted(wanted, key=lambda s: (-weight[s], rank[s])):
        if minutes[slug] <= left:
            kept.add(slug)
            left -= minutes[slug]
    return [slug for slug in wanted if slug not in kept]


def place_refreshers(
    days: list[Day], refreshers: Refreshers, graph: nx.DiGraph, warnings: list[str]
) -> dict[str, date]:
    """After the fill: refresh the shaky concepts it placed no refresher for (shaky topics
    nothing learned rests on) late, when nothing builds on them before the interview:
    closest to it they are best recalled there. The latest days with room first, the
    last study day left to the final reviews, at most two a day while that suffices, a
    part no later than the whole, within what is left of the refreshers' share.
    Returns the day of every refresher."""
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    window = list(reversed(study[:-1] if len(study) > 2 else study))
    waiting = [
        slug
        for slug in refreshers.order
        if slug not in refreshers.placed and slug not in refreshers.dropped
    ]
    counts: dict[date, int] = {}
    for when in refreshers.placed.values():
        counts[when] = counts.get(when, 0) + 1
    for per_day in (REFRESHERS_PER_DAY, None):
        left = []
        for slug in reversed(waiting):  # the whole before its parts, which go no later
            minutes = refreshers.minutes[slug]
            wholes = [
                refreshers.placed[d] for d in graph.successors(slug) if d in refreshers.placed
            ]
            latest = min(wholes, default=None)
            day = next(
                (
                    d
                    for d in window
                    if (latest is None or d.date <= latest)
                    and d.free_minutes >= minutes
                    and (per_day is None or counts.get(d.date, 0) < per_day)
                ),
                None,
            )
            if day is None or minutes > refreshers.budget:
                left.append(slug)
                continue
            day.items.append(Item(REVIEW, minutes, concept=slug, note=REFRESHER_NOTE))
            counts[day.date] = counts.get(day.date, 0) + 1
            refreshers.placed[slug] = day.date
            refreshers.budget -= minutes
        waiting = left[::-1]
    missing = [*refreshers.dropped, *waiting]
    if missing:
        titles = [graph.nodes[slug].get("title", slug) for slug in missing]
        named = ", ".join(titles[:5]) + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")
        warnings.append(
            f"{len(missing)} of {len(refreshers.order)} shaky concepts the plan builds on are "
            f"not refreshed: no room left for refreshers ({named})"
        )
    return refreshers.placed


REVIEW_SLACK_DAYS = 2  # a due review may wait this many days for a day with room


@dataclass
class Forecasts:
    """What the follow-ups forecast: concept -> recall at the interview, with every review
    of the plan done (rated Good) and with none after the concept's study session."""

    with_plan: dict[str, float]
    without_reviews: dict[str, float]


@dataclass
class ReviewWindow:
    """The days reviews may go to: from `start` to the last study day, the final ones apart."""

    by_date: dict[date, Day]
    start: date
    last: date
    final_days: list[date]


@dataclass
class Reviewed:
    card: Card
    last: date | None  # the day of the last review placed, if any
    planned: int
    missed: int


def review_chain(
    window: ReviewWindow,
    forecast: Forecast,
    slug: str,
    card: Card,
    minutes: int,
    slack: int = REVIEW_SLACK_DAYS,
) -> Reviewed:
    """Reviews of one concept where its card falls due (or up to `slack` days later, for a
    day with room), each taken as rated Good, until it falls due in the final days."""
    last: date | None = None
    planned = missed = 0
    while True:
        due = max(forecast.due_day(card), window.start)
        if due > window.last or (window.final_days and due >= window.final_days[0]):
            break
        planned += 1
        item = Item(REVIEW, minutes, concept=slug)
        day = _place_near(window.by_date, due, window.last, minutes, item, slack)
        if day is None:
            missed += 1
            break
        card, last = forecast.reviewed(card, day), day
    return Reviewed(card, last, planned, missed)


def final_review(
    window: ReviewWindow,
    forecast: Forecast,
    slug: str,
    card: Card,
    minutes: int,
    since: date | None,
) -> Reviewed:
    """One final review, as late as there is room (the closer to the interview, the more is
    recalled there), after the concept's last study or review day `since`."""
    dates = [d for d in reversed(window.final_days) if since is None or d > since]
    if not dates:
        return Reviewed(card, None, 0, 0)
    item = Item(REVIEW, minutes, concept=slug, note="final review")
    day = _place_on_any(window.by_date, dates, minutes, item)
    if day is None:
        return Reviewed(card, None, 1, 1)
    return Reviewed(forecast.reviewed(card, day), day, 1, 0)


def final_review_days(study: list[Day]) -> list[date]:
    """The last one to three study days: one in a plan under a week, three from two weeks."""
    count = 1 if len(study) < 7 else 2 if len(study) < 14 else FINAL_REVIEW_DAYS
    return [day.date for day in study[-count:]]


def plan_forecast(request: PlanRequest) -> Forecast:
    """The memory model's forecast for the request's interview, study time and parameters."""
    return Forecast(
        request.interview_moment(),
        parameters=request.fsrs_parameters,
        study_time=request.study_time,
    )


def place_follow_ups(
    days: list[Day],
    request: PlanRequest,
    finished: dict[str, date],
    learned: list[str],
    priority: Mapping[str, float],
    graph: nx.DiGraph,
    warnings: list[str],
    refreshed: Mapping[str, date] | None = None,
    forecast: Forecast | None = None,
    practice: Mapping[str, Sequence[str]] | None = None,
) -> Forecasts:
    """Practice after learning, reviews where the memory model says they are due, then the
    final reviews of what would be forgotten.

    `practice`: topic -> the questions its study completes (planner.practice); a topic
    with none gets no practice block.

    `learned` is in learning order; `priority` ranks concepts for the final
    reviews (relevance, with prerequisites inheriting a share of it). Refreshed
    shaky concepts get practice and reviews too: a core topic the candidate is
    rusty on is asked about as much as one they learn here. Concepts in
    `request.memory` not studied here (learned before a replan, or rated
    elsewhere) are reviewed where their cards fall due. `forecast` is
    plan_forecast(request), given to share its work between the budgets a plan tries.
    """
    refreshed = dict(refreshed or {})
    studied = {**refreshed, **finished}
    covered = learned + [slug for slug in refreshed if slug not in finished]
    by_date = {day.date: day for day in days}
    study = [d for d in days if not d.interview_day and d.available_minutes > 0]
    forecast = forecast or plan_forecast(request)
    # Cards after the self-test that ends each concept's study, or as the person left them.
    cards: dict[str, Card] = {}
    for slug in covered:
        cards[slug] = forecast.reviewed(forecast.card(request.memory.get(slug)), studied[slug])
    remembered = [s for s in request.memory if s not in cards and s in graph and request.memory[s]]
    for slug in sorted(remembered, key=lambda s: graph.nodes[s]["position"]):
        cards[slug] = forecast.card(request.memory[slug])
    without = {slug: forecast.recall(card) for slug, card in cards.items()}
    if not study:
        return Forecasts({slug: without[slug] for slug in cards}, without)
    last = study[-1].date
    final_days = final_review_days(study)

    for slug in covered:
        minutes = practice_minutes(len((practice or {}).get(slug, ())))
        if minutes:
            item = Item(PRACTICE, minutes, concept=slug, note="interview questions")
            _place_near(by_date, studied[slug], last, minutes, item, slack=2)

    window = ReviewWindow(by_date, request.start, last, final_days)
    planned = missed = 0
    reviewed_last: dict[str, date | None] = dict(studied)
    for slug, card in cards.items():
        minutes = review_minutes(learn_minutes(graph, slug))
        chain = review_chain(window, forecast, slug, card, minutes)
        cards[slug] = chain.card
        reviewed_last[slug] = chain.last or reviewed_last.get(slug)
        planned, missed = planned + chain.planned, missed + chain.missed

    def at_risk(slug: str) -> float:
        return (1.0 - forecast.recall(cards[slug])) * max(priority.get(slug, 0.0), 0.01)

    order = {slug: index for index, slug in enumerate(cards)}
    below = [s for s in cards if forecast.recall(cards[s]) < request.target_retention]
    for slug in sorted(below, key=lambda s: (-at_risk(s), order[s])):
        minutes = review_minutes(learn_minutes(graph, slug))
        final = final_review(window, forecast, slug, cards[slug], minutes, reviewed_last.get(slug))
        cards[slug] = final.card
        planned, missed = planned + final.planned, missed + final.missed
    if missed:
        warnings.append(f"{missed} of {planned} spaced reviews did not fit and were left out")

    interview_day = days[-1]
    if interview_day.interview_day and interview_day.available_minutes:
        ranked = sorted(covered, key=lambda s: (-at_risk(s), -priority.get(s, 0.0), order[s]))
        for slug in ranked[:INTERVIEW_DAY_REVIEWS]:
            if interview_day.free_minutes < LIGHT_REVIEW_MINUTES:
                break
            interview_day.items.append(
                Item(REVIEW, LIGHT_REVIEW_MINUTES, concept=slug, note="light")
            )
    return Forecasts({slug: forecast.recall(card) for slug, card in cards.items()}, without)


def _place_on_any(
    by_date: dict[date, Day], dates: list[date], minutes: int, item: Item
) -> date | None:
    for when in dates:
        if by_date[when].free_minutes >= minutes:
            by_date[when].items.append(item)
            return when
    return None
