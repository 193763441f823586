"""The study planner: PlanRequest + concept graph -> Schedule.

Pure Python over dataclasses (planner.domain) and a networkx DiGraph (see
kb.dag for its shape): no Django, no database, no clock. "Today" is
`PlanRequest.start`, so the same request always gives the same schedule.

How a plan is made
------------------
1. Needed set: every target (a concept with relevance > 0) plus its
   prerequisites, minus what is known. Knowing or being shaky on a concept
   implies knowing its required prerequisites.
2. Capacity: each day from `start` to the interview gets its weekday's
   minutes (0 on blackout days). Mock interviews are placed first, one per
   loop stage, in the final part of the plan; the interview day holds only a
   light review. A share of every study day is kept for reviews and question
   practice; when the needed concepts do not fit, that share shrinks to a
   floor before any target is cut.
3. Selection (planner.selection): the team's must-have topics and its loop
   rounds' essentials first, as many as fit (must_learn); then core topics,
   important, then useful ones, each target learned with its whole prerequisite closure; an
   exact 0-1 program under a fixed work limit, with a greedy fallback. The
   learning time left goes to the prerequisites of the most valuable cut
   targets ("toward <target>").
4. Order: a topological order that, among the concepts whose prerequisites
   are placed, takes first what serves the highest tier, then the most value
   per minute, so a plan that slips loses its least useful tail.
5. Fill (planner.filling): concepts go into the days in that order, split
   across days when longer than a day's free time. What does not fit by the
   interview is cut; the order being topological, the placed part stays
   closed under prerequisites. A concept begun before a replan (`progress`)
   gets only the minutes it still needs, in sessions numbered after the
   ones done. The refreshers of the shaky concepts a concept rests on go in
   just before its first session, parts before the whole.
6. Follow-ups (planner.reviews): the refreshers of shaky topics nothing
   learned rests on go late, nearest the interview; then practice, spaced reviews and final
   reviews of the most relevant concepts go into the time left; the rest of
   each day becomes a buffer. A buffer that could hold a cut target's
   missing prerequisites goes back to learning.

Scale
-----
A plan over a large graph can need 100k concepts and fit a few hundred, so
the run does what the whole needed set asks once per plan, in a handful of
passes (the walk, the value passed down, the chain lengths, the cut list,
which names every prerequisite left out) and the rest in proportion to what
fits: the attempts on smaller budgets (steps 3 to 6 run again when sessions
lose minutes or buffers go back to learning) reuse what the plan derived
(planner.selection.Needed keeps it; PlanMemo carries proven optima, the value
passed down and the memory model's forecasts), the greedy recomputes only
what a pick changed, the time left walks toward a cut topic from ready
concept to ready concept, and the reasons of cut topics are counted only for
the attempt kept. What depends on the graph alone (each concept's
prerequisites and dependents by edge kind, its minutes, the learning order)
is kept for a frozen graph's lifetime (kb.dag.graph_memo). bench/planner_scale.py
measures it against nx.ancestors of the same targets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import networkx as nx

from kb.dag import by_position, check_known, known_closure, passed_down_value, walk
from planner.domain import (
    BUFFER,
    ITEM_KINDS,
    LEARN,
    MAX_PRACTICE_QUESTIONS,
    MOCK,
    PRACTICE,
    REVIEW,
    REVIEW_SHARE_FLOOR,
    TIERS,
    Cut,
    Day,
    Item,
    MockStage,
    PlanInputError,
    PlanRequest,
    RecallSummary,
    Schedule,
    Summary,
    Tier,
    TierSummary,
    tier_index,
)
from planner.filling import (
    Filled,
    Refreshers,
    add_buffers,
    continue_parts,
    fill_learning,
    learning_capacity,
    make_days,
    place_mocks,
    sort_items,
    usable_minutes,
)
from planner.memory import Forecast
from planner.practice import questions_by_topic
from planner.reviews import (
    Forecasts,
    place_follow_ups,
    place_refreshers,
    plan_forecast,
    practice_minutes,
    refresher_plan,
    refresher_reserve,
    review_minutes,
)
from planner.selection import (
    TOWARD_TOPICS,
    Needed,
    ProvenOptima,
    Selection,
    hours_text,
    learn_minutes,
    needed_subgraph,
    prerequisite_cuts,
    remaining_minutes,
    select,
    tier_values,
    unlisted_prerequisite_cuts,
)

__all__ = [
    "BUFFER",
    "ITEM_KINDS",
    "LEARN",
    "MAX_PRACTICE_QUESTIONS",
    "MOCK",
    "PRACTICE",
    "REVIEW",
    "TIERS",
    "Cut",
    "Day",
    "Item",
    "MockStage",
    "PlanInputError",
    "PlanRequest",
    "Schedule",
    "Summary",
    "Tier",
    "TierSummary",
    "build_schedule",
    "known_closure",
    "learn_minutes",
    "plan_minutes",
    "practice_minutes",
    "review_minutes",
    "tier_index",
    "walk",
]

# Times a plan is built to turn idle buffers into learning toward a target. Once practice
# stopped filling idle time with question-less blocks, more plans had idle time to offer:
# a third build added 30 to 60 minutes of learning to a few plans (core topics learned
# over 275 plans: 2,846 with three builds, 2,834 with two) for a whole selection more
# (plan creation's p50 111 to 112 ms with three, 101 to 104 with two).
BUFFER_ROUNDS = 2
FIT_ROUNDS = 5  # times selection is rerun on a smaller budget when sessions lost minutes


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
    outside = sorted(set(request.must) - set(request.relevance))
    if outside:
        raise PlanInputError("must", f"must-have topics must be targets: {', '.join(outside)}")
    outside = sorted(set(request.essentials) - set(request.relevance))
    if outside:
        names = ", ".join(outside)
        raise PlanInputError("essentials", f"round essentials must be targets: {names}")
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


# --- order and the longest chain ----------------------------------------------------------


def study_order(
    needed: Needed,
    kept: set[str],
    toward: Mapping[str, str],
    groundwork: Collection[str] = (),
) -> list[str]:
    """Topic by topic, the most important first, each with what it still needs before it.

    Core topics come first, the most valuable first (the cheaper of equals first,
    so more topics are done early), each preceded by its missing prerequisites in
    learning order; then important and useful topics; then the prerequisites
    learned toward a cut topic. A plan that slips so loses its least important
    topics, never the chain under a core one, but for the loop rounds' `groundwork`
    (learned first or chosen), which comes one after every other topic so as to come
    before its round's mock (_with_groundwork_between).
    """
    position = needed.position
    targets = [t for t in needed.tier if t in kept]
    cost = {t: needed.minutes(needed.closure([t])) for t in targets}
    targets.sort(key=lambda t: (needed.tier[t], -needed.value[t], cost[t], position[t]))
    targets = _with_groundwork_between(targets, groundwork)
    order: list[str] = []
    placed: set[str] = set()
    for target in targets:
        missing = needed.closure([target], without=placed)
        order += sorted(missing, key=position.__getitem__)
        placed |= missing
    order += sorted(kept - placed, key=position.__getitem__)  # none, if kept is closed
    return order + sorted(toward, key=position.__getitem__)


def _with_groundwork_between(targets: list[str], essentials: Collection[str]) -> list[str]:
    """`targets` with the rounds' groundwork taken one after every other topic, in the
    order of the loop (`essentials`' order), which is the order of its mocks.

    In tier order the groundwork came where its value put it: an ML coding drill after
    the mock of its round (19% of the groundwork of 275 plans came on or after its
    round's mock day), and a wall of it first where it was worth the most. Taken in
    turn with the team's topics, it is done by the middle of the plan, before the mocks
    of its final part, and the first day still starts on the team's topics.
    """
    if not essentials:
        return targets
    chosen = set(targets)
    groundwork = [t for t in essentials if t in chosen]  # the loop's order: its mocks' order
    topics = [t for t in targets if t not in essentials]
    merged: list[str] = []
    for index, topic in enumerate(topics):
        merged.append(topic)
        if index < len(groundwork):
            merged.append(groundwork[index])
    return merged + groundwork[len(topics) :]


def longest_chain(needed: Needed, learned: Collection[str] | None = None) -> list[str]:
    """The longest prerequisite chain (by concepts) ending at a target of the highest tier
    the plan learns (`learned`; None: any target), the deepest walk the plan makes.

    A chain ending at a cut topic described a walk the plan does not make ("Longest
    prerequisite chain: ... -> scaling laws" in a plan that cuts scaling laws). A learned
    target's prerequisites are all learned, so the whole chain is in the plan.
    Where chains tie, through the greatest slug, at the end and at each step back.
    """
    targets = {t: tier for t, tier in needed.tier.items() if learned is None or t in learned}
    if not targets:
        return []
    length, prerequisites = needed.chain_lengths, needed.prerequisites
    top = min(targets.values())
    ends = [t for t, tier in targets.items() if tier == top]
    end: str | None = max(ends, key=lambda slug: (length[slug], slug))
    chain = []
    while end is not None:
        chain.append(end)
        shorter = length[end] - 1
        end = max((p for p in prerequisites[end] if length[p] == shorter), default=None)
    return chain[::-1]


# --- the whole planner ----------------------------------------------------------------------


@dataclass
class Build:
    """One attempt at a plan: the days, what selection chose, and what found sessions."""

    days: list[Day]
    selection: Selection
    finished: dict[str, date]  # learned concept -> the day of its last session
    unplaced: list[str]  # chosen, but no session found room for it
    warnings: list[str]
    forecasts: Forecasts
    practice: dict[str, list[str]] = field(default_factory=dict)  # topic -> its questions


def _practised(days: list[Day]) -> list[str]:
    """The topics with a practice block, in the plan's order."""
    return [item.concept for day in days for item in day.items if item.kind == PRACTICE]


@dataclass
class PlanMemo:
    """What the attempts of one plan share: the optima proven at the budgets tried, the
    memory model's forecast (which keeps its reviews) and the loop rounds left without
    groundwork (_unprepared_rounds)."""

    proven: ProvenOptima
    forecast: Forecast
    unprepared: frozenset[str] = frozenset()
    # The interview questions the plan could ever practise (_askable): most test something
    # no plan for this team touches, and every build would go through them all again.
    questions: Mapping[str, frozenset[str]] = field(default_factory=dict)


def review_priority(
    graph: nx.DiGraph, request: PlanRequest, needed: Needed, studied: Sequence[str]
) -> dict[str, float]:
    """How much a final review of each concept the plan studies is worth: its relevance,
    ties broken by the value it passes down to what the plan studies on top of it.

    Only the plan's own concepts pass value here: a prerequisite matters on the
    interview's eve for the topics the candidate did learn on it, not for cut ones,
    and the pass then costs what the plan holds, not what the targets rest on.
    """
    members = set(studied)
    order = by_position(graph, members)
    none: tuple[str, ...] = ()
    prerequisites: dict[str, list[str]] = {}
    dependents: dict[str, list[str]] = {slug: [] for slug in order}
    for slug in order:  # learning order, so each dependents list is in learning order too
        found = prerequisites[slug] = [
            p for p in needed.prerequisites.get(slug, none) if p in members
        ]
        for prerequisite in found:
            dependents[prerequisite].append(slug)
    unlocked = passed_down_value(order, prerequisites, dependents, request.relevance)
    return {slug: request.relevance.get(slug, 0.0) + 0.001 * unlocked[slug] for slug in studied}


def _attempt(
    graph: nx.DiGraph,
    request: PlanRequest,
    needed: Needed,
    memo: PlanMemo,
    share: float,
    extra: Mapping[date, int],
    cap: int | None = None,
    *,
    retry_if_lost: bool = False,
    floor: int = 0,
) -> Build:
    """One build: days, selection, fill and follow-ups, with `extra` learning minutes per day.

    `cap` bounds the learning budget below what the days hold in total, for when
    sessions could not use every minute (a day's last 20 minutes hold no session);
    `floor` raises it to what an earlier build learned plus the buffers it left idle,
    for when sessions used minutes the budget does not count (a 15-minute topic on a
    20-minute day, a topic finishing in the review share).
    Where passing days over for whole starts left a chosen topic without a day, the
    order is filled again packed before anything is selected again (one fill costs a
    tenth of a selection). With `retry_if_lost`, a build that still leaves a chosen
    concept without a session is returned before its reviews and practice are placed:
    the caller drops it and selects again on a smaller budget (_fitting_attempt), so
    they would be wasted.
    """
    days, warnings, capacity = _days_with_mocks(request, memo, share, extra)
    budget = usable_minutes(capacity, request.min_session_minutes)
    budget -= refresher_reserve(days, request, graph, needed.cost)
    budget = max(budget, floor)  # what an earlier build learned, and left idle
    budget = max(0, budget if cap is None else min(budget, cap))
    selection = select(needed, budget, graph, memo.proven)
    order = study_order(needed, selection.kept, selection.toward, _groundwork_order(request))
    notes = {
        slug: f"toward {graph.nodes[target].get('title', target)}"[:200]
        for slug, target in selection.toward.items()
    }
    refreshers, filled = _fill(days, capacity, request, graph, needed, order, notes)
    if filled.passed_over and not selection.kept.isdisjoint(filled.unplaced):
        # Days were passed over for long topics to start whole the next day, and a chosen
        # topic then found no day: filled again packed, kept if every chosen topic goes in.
        # (Kept whenever it placed more, it made as many plans worse as better, by the
        # planner's own measure, over 275 plans: a plan selected again learns differently.)
        packed_days, packed_warnings, room = _days_with_mocks(request, memo, share, extra)
        packed_refreshers, packed = _fill(
            packed_days, room, request, graph, needed, order, notes, whole_starts=False
        )
        if selection.kept.isdisjoint(packed.unplaced):
            days, warnings = packed_days, packed_warnings
            refreshers, filled = packed_refreshers, packed
    finished, unplaced = filled.finished, filled.unplaced
    if retry_if_lost and not selection.kept.isdisjoint(unplaced):
        return Build(days, selection, finished, unplaced, warnings, Forecasts({}, {}))
    refreshed = place_refreshers(days, refreshers, graph, warnings)
    continue_parts(days, request, graph)
    learned = [slug for slug in order if slug in finished]
    priority = review_priority(graph, request, needed, [*learned, *refreshed])
    practice = _practice(graph, request, needed, memo.questions, {**refreshed, **finished})
    forecasts = place_follow_ups(
        days,
        request,
        finished,
        learned,
        priority,
        graph,
        warnings,
        refreshed,
        memo.forecast,
        practice,
    )
    add_buffers(days)
    return Build(days, selection, finished, unplaced, warnings, forecasts, practice)


def _days_with_mocks(
    request: PlanRequest, memo: PlanMemo, share: float, extra: Mapping[date, int]
) -> tuple[list[Day], list[str], dict[date, int]]:
    """The days with their mocks, the mocks' warnings, and each day's learning minutes."""
    warnings: list[str] = []
    days = make_days(request)
    place_mocks(days, request, warnings, memo.unprepared)
    return days, warnings, _capacity(days, share, extra, request.min_session_minutes)


def _fill(
    days: list[Day],
    capacity: dict[date, int],
    request: PlanRequest,
    graph: nx.DiGraph,
    needed: Needed,
    order: list[str],
    notes: Mapping[str, str],
    *,
    whole_starts: bool = True,
) -> tuple[Refreshers, Filled]:
    """Learning and refreshers into `days` (filling.fill_learning)."""
    learn = {slug: remaining_minutes(graph, request, slug) for slug in order}
    refreshers = refresher_plan(days, request, graph, order)
    filled = fill_learning(
        days,
        order,
        learn,
        capacity,
        request.min_session_minutes,
        notes,
        needed.prerequisites,
        refreshers,
        whole_starts=whole_starts,
    )
    return refreshers, filled


def _askable(graph: nx.DiGraph, request: PlanRequest, needed: Needed) -> dict[str, frozenset[str]]:
    """The questions whose every concept the plan could study or rest on: what it needs,
    its shaky concepts, what it knows, and what all of those rest on."""
    if not request.questions:  # a graph without questions: no walk over the plan's scope
        return {}
    scope = known_closure(graph, [*needed.cost, *request.known, *request.shaky])
    return {q: concepts for q, concepts in request.questions.items() if concepts <= scope}


def _practice(
    graph: nx.DiGraph,
    request: PlanRequest,
    needed: Needed,
    questions: Mapping[str, frozenset[str]],
    studied: Mapping[str, date],
) -> dict[str, list[str]]:
    """Topic -> the interview questions its study completes (planner.practice): what
    the plan studies counts from its day (then its place in the learning order), and what
    it rests on (the required prerequisites of what is studied or known) from the start;
    a needed concept the plan does not study is not known."""
    if not questions:
        return {}
    position = graph.nodes
    when = {slug: (day, position[slug]["position"]) for slug, day in studied.items()}
    rests_on = known_closure(graph, [*studied, *request.known]) - set(studied)
    rests_on -= needed.cost.keys()  # cut, or not reached: not studied here
    return questions_by_topic(questions, when, rests_on)


def _groundwork_order(request: PlanRequest) -> list[str]:
    """The rounds' groundwork in the order to study it: that of rounds with no mock first
    (researching the team shapes the job talk and every answer on why this team), then
    the loop's order, which is the order of its mocks."""
    mocked = {mock.stage for mock in request.mocks}
    return sorted(request.essentials, key=lambda slug: request.essentials[slug][0] in mocked)


def _groundwork_by_round(request: PlanRequest) -> dict[str, list[str]]:
    """Stage slug -> the concepts of its groundwork, in the request's order."""
    rounds: dict[str, list[str]] = {}
    for slug, (stage, _) in request.essentials.items():
        rounds.setdefault(stage, []).append(slug)
    return rounds


def _unprepared_rounds(request: PlanRequest, needed: Needed) -> set[str]:
    """The loop rounds none of whose groundwork is known or learned first (Needed.essentials)
    in a plan that cannot learn everything: unless chosen among the other topics, the plan
    leaves them without any."""
    return {
        stage
        for stage, groundwork in _groundwork_by_round(request).items()
        if all(s in needed.cost and s not in needed.essentials for s in groundwork)
    }


def _capacity(
    days: list[Day], share: float, extra: Mapping[date, int], min_session: int
) -> dict[date, int]:
    """Learning minutes per day: the free time less the review share, plus `extra`."""
    capacity = learning_capacity(days, share, min_session)
    free = {day.date: day.free_minutes for day in days}
    for when, minutes in extra.items():  # a buffer last time: learning may have it now
        capacity[when] = min(free[when], capacity[when] + minutes)
    return capacity


def _fitting_attempt(
    graph: nx.DiGraph,
    request: PlanRequest,
    needed: Needed,
    memo: PlanMemo,
    share: float,
    extra: Mapping[date, int],
    cap: int | None = None,
    floor: int = 0,
) -> tuple[Build, int | None]:
    """An attempt whose chosen topics all find sessions in the days, and the cap it took.

    The budget counts minutes, but sessions lose a day's odd ends; when a kept
    concept finds no room, the budget shrinks by what was lost and selection
    runs again, so what is chosen is the best that the days can really hold.
    """
    for attempt in range(FIT_ROUNDS):
        build = _attempt(
            graph,
            request,
            needed,
            memo,
            share,
            extra,
            cap,
            retry_if_lost=attempt < FIT_ROUNDS - 1,
            floor=floor,
        )
        lost = [slug for slug in build.unplaced if slug in build.selection.kept]
        if not lost:
            break
        cap = build.selection.budget - needed.minutes(lost)
    return build, cap


def _learns_more(needed: Needed, first: Build, second: Build) -> bool:
    """Does `first` learn at least as much as `second`: the team's must-haves first, then
    its rounds' groundwork once every must-have is in, then tier by tier?

    As selection weighs them (must_learn): groundwork beside a must-have that did not fit
    is worth what its tier says. Counted first regardless, a build learning one more
    behavioral story beat one learning five more of the team's topics, and a two-week
    plan for a newcomer kept six idle hours on its last weekend.
    """

    def learned(build: Build) -> tuple[float, float, tuple[float, ...]]:
        finished = set(build.finished)

        def value(topics: Iterable[str]) -> float:
            return round(sum(needed.value[t] for t in topics if t in finished), 9)

        groundwork = value(needed.essentials) if needed.must_haves_in(finished) else 0.0
        return value(needed.must_haves), groundwork, tier_values(needed, finished)

    return learned(first) >= learned(second)


def _idle_buffers(days: list[Day], min_session: int) -> dict[date, int]:
    return {
        day.date: item.minutes
        for day in days
        for item in day.items
        if item.kind == BUFFER and item.minutes >= min_session
    }


def _could_learn_toward(
    needed: Needed, selection: Selection, learned: set[str], idle: Mapping[date, int]
) -> bool:
    """Could the idle buffers hold a cut topic with what it still needs, or at least one of
    its prerequisites that is ready to learn?"""
    largest, total = max(idle.values(), default=0), sum(idle.values())
    # Cut by selection, or kept but left without a session: either way not learned.
    topics = list(selection.topics)
    topics += [t for t in needed.tier if t in selection.kept and t not in learned]
    if needed.any_closure_within(topics, without=learned, limit=total):
        return True
    return any(_ready_toward(needed, topic, learned, largest) for topic in topics[:TOWARD_TOPICS])


def _ready_toward(needed: Needed, topic: str, learned: set[str], largest: int) -> bool:
    """Is `topic`, or a concept it rests on, not learned, ready to learn (its prerequisites
    learned) and at most `largest` minutes?

    What is learned is a prefix of a learning order, so closed under prerequisites:
    a ready concept is then the topic, a root of its closure, or rests on a learned
    concept, and only those are looked at.
    """
    prerequisites, cost = needed.prerequisites, needed.cost

    def ready(slug: str) -> bool:
        return (
            slug not in learned
            and cost[slug] <= largest
            and all(p in learned for p in prerequisites[slug])
        )

    if not needed.is_closed(learned, learned):  # not from a fill; the plain walk then
        return any(ready(slug) for slug in needed.closure([topic], without=learned))
    members, roots = needed.upstream(topic)
    if ready(topic) or any(ready(slug) for slug in roots):
        return True
    dependents = needed.dependents_and_more
    return any(
        ready(dependent)
        for slug in learned
        for dependent in dependents[slug]
        if dependent in members
    )


def plan_minutes(request: PlanRequest) -> int:
    """The learning minutes the plan's days hold at the full review share, before mocks:
    what the needed set weighs its rounds' groundwork against (needed_subgraph), the same
    for every budget a plan tries."""
    probe = learning_capacity(make_days(request), request.review_share, request.min_session_minutes)
    return usable_minutes(probe, request.min_session_minutes)


def build_schedule(graph: nx.DiGraph, request: PlanRequest) -> Schedule:
    """Plan the days from `request.start` to the interview.

    Never raises for a plan that does not fit: what is cut is in the summary.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b")])  # doctest: +SKIP
    >>> build_schedule(g, PlanRequest(start=..., interview=..., ...))  # doctest: +SKIP
    """
    validate(graph, request)
    share = request.review_share
    usable = plan_minutes(request)
    needed = needed_subgraph(graph, request, usable)
    unprepared: set[str] = set()
    if needed.total_minutes > usable:
        share = min(share, REVIEW_SHARE_FLOOR)  # learning the targets comes before reviews
        unprepared = _unprepared_rounds(request, needed)
    extra: dict[date, int] = {}
    cap: int | None = None
    best: Build | None = None
    askable = _askable(graph, request, needed)
    memo = PlanMemo(ProvenOptima(), plan_forecast(request), frozenset(unprepared), askable)
    floor = 0
    for _ in range(BUFFER_ROUNDS):
        build, cap = _fitting_attempt(graph, request, needed, memo, share, extra, cap, floor)
        if best is None or _learns_more(needed, build, best):
            best = build
        idle = _idle_buffers(build.days, request.min_session_minutes)
        if not _could_learn_toward(needed, build.selection, set(build.finished), idle):
            break
        # Topics were cut and a session's worth of time sat idle: learn toward them instead.
        for when, minutes in idle.items():
            extra[when] = extra.get(when, 0) + minutes
        if cap is not None:  # what the days held last time, plus the idle time now offered
            cap += sum(idle.values())
        # The budget may count less than the days held (a short topic on a short day): the
        # next selection has at least what was learned and the idle time, or a buffer
        # offered to a day whose capacity is its free time already would add nothing.
        floor = needed.minutes(build.finished) + sum(idle.values())
    assert best is not None  # BUFFER_ROUNDS >= 1
    for day in best.days:
        sort_items(day)
    summary = _summary(graph, request, needed, best, askable)
    return Schedule(request.start, request.interview, best.days, summary)


def _must_warning(graph: nx.DiGraph, needed: Needed, slug: str, finished: Iterable[str]) -> str:
    title = graph.nodes[slug].get("title", slug)
    hours = hours_text(needed.minutes(needed.closure([slug], without=set(finished))))
    return (
        f"The must-have topic {title} does not fit: it needs {hours} with its prerequisites; "
        "see the cut list"
    )


def _unprepared_rounds_warnings(
    graph: nx.DiGraph,
    request: PlanRequest,
    needed: Needed,
    mocked: Collection[str],
    finished: Iterable[str],
) -> list[str]:
    """A loop round none of whose groundwork the plan learns or assumes known, whether it
    did not fit, gave way to the team's must-haves or was too dear to come first: the
    candidate is told, and told when the round's mock comes without it (the mock stays,
    as the one rehearsal of that round there is time for)."""
    learned = set(finished)
    warnings = []
    for stage, groundwork in _groundwork_by_round(request).items():
        if any(s not in needed.cost or s in learned for s in groundwork):
            continue  # some of it learned, or already known
        title = request.essentials[groundwork[0]][1]
        missing = ", ".join(
            f"{graph.nodes[s].get('title', s)} needs "
            f"{hours_text(needed.minutes(needed.closure([s], without=learned)))}"
            for s in groundwork
        )
        mock = ", and its mock comes without it" if stage in mocked else ""
        warnings.append(
            f"The {title} round gets none of its groundwork ({missing} with its "
            f"prerequisites){mock}; see the cut list"
        )
    return warnings


def _summary(
    graph: nx.DiGraph,
    request: PlanRequest,
    needed: Needed,
    build: Build,
    questions: Mapping[str, frozenset[str]],
) -> Summary:
    days, selection, finished = build.days, build.selection, build.finished
    unplaced, warnings = build.unplaced, build.warnings
    learned = sorted(finished, key=needed.position.__getitem__)
    order_learned = [
        item.concept
        for day in days
        for item in day.items
        if item.kind == LEARN and item.concept in finished and item.part in (None, item.parts)
    ]
    cuts = [cut for cut in selection.cuts if cut.concept not in finished]
    listed = {cut.concept for cut in cuts}
    kept, toward = selection.kept, selection.toward
    prerequisites = prerequisite_cuts(needed, kept, selection.cuts, graph, toward)
    unlisted, unlisted_minutes = unlisted_prerequisite_cuts(needed, kept, toward, prerequisites)
    cuts += prerequisites
    for slug in unplaced:
        # Listed already: a cut topic, or a prerequisite cut (neither kept, nor a topic,
        # nor learned toward one), which the unplaced, all chosen, never are.
        if slug in listed or (slug not in kept and slug not in needed.tier and slug not in toward):
            continue
        tier = needed.tier.get(slug)
        cuts.append(
            Cut(
                slug,
                "did not fit: the study time before the interview ran out",
                round(needed.value.get(slug, 0.0), 4),
                needed.cost[slug],
                tier=TIERS[tier].name if tier is not None else None,
            )
        )
    tiers = []
    tier_minutes = needed.tier_minutes
    for index, tier in enumerate(TIERS):
        targets = needed.targets_of(index)
        done = [t for t in targets if t in finished]
        tiers.append(
            TierSummary(
                name=tier.name,
                threshold=tier.threshold,
                targets=len(targets),
                learned=len(done),
                needed_minutes=tier_minutes[index],
                learned_value=round(sum(needed.value[t] for t in done), 4),
                value=round(sum(needed.value[t] for t in targets), 4),
            )
        )
    for tier in tiers:
        if tier.learned < tier.targets:
            warnings.insert(
                len([w for w in warnings if " topics do not fit" in w]),
                f"{tier.targets - tier.learned} of {tier.targets} {tier.name} topics do not fit "
                f"(all {tier.name} topics need {hours_text(tier.needed_minutes)} with their "
                "prerequisites); see the cut list",
            )
    mocked = {item.stage for day in days for item in day.items if item.kind == MOCK}
    warnings[:0] = [  # first of all: what the team asks in every loop, and its rounds' groundwork
        _must_warning(graph, needed, slug, finished)
        for slug in needed.must_haves
        if slug not in finished
    ] + _unprepared_rounds_warnings(graph, request, needed, mocked, finished)
    recall = _recall_summaries(request, needed, build.forecasts)
    total_value = sum(needed.value.values())
    kept_value = sum(needed.value[t] for t in needed.tier if t in finished)
    mock_minutes = sum(mock.minutes for mock in request.mocks)
    # Were every needed concept learned, in the learning order: the practice it would bring.
    everything = dict.fromkeys(needed.cost, request.start)
    practice = sum(
        practice_minutes(len(asked))
        for asked in _practice(graph, request, needed, questions, everything).values()
    )
    return Summary(
        needed_minutes=needed.total_minutes + practice + mock_minutes,
        available_minutes=sum(day.available_minutes for day in days),
        scheduled_minutes=sum(
            item.minutes for day in days for item in day.items if item.kind != BUFFER
        ),
        coverage=round(kept_value / total_value, 4) if total_value else 1.0,
        learned=order_learned if len(order_learned) == len(learned) else learned,
        cut=cuts,
        unlisted_cuts=unlisted,
        unlisted_cut_minutes=unlisted_minutes,
        longest_chain=longest_chain(needed, finished),
        warnings=warnings,
        tiers=tiers,
        toward={s: t for s, t in selection.toward.items() if s in finished},
        exact=selection.exact,
        practice={slug: build.practice[slug] for slug in _practised(days)},
        learning_budget=selection.budget,
        target_retention=request.target_retention,
        recall=recall,
        recall_by_concept={
            slug: (round(recall, 4), round(build.forecasts.without_reviews[slug], 4))
            for slug, recall in build.forecasts.with_plan.items()
        },
    )


def recall_summary(
    kind: str, name: str, concepts: Iterable[str], forecasts: Forecasts, target: float
) -> RecallSummary:
    """Mean forecast recall at the interview over `concepts` (those with a forecast)."""
    found = [slug for slug in concepts if slug in forecasts.with_plan]
    if not found:
        return RecallSummary(kind, name, 0, 0.0, 0.0, 0)
    with_plan = [forecasts.with_plan[slug] for slug in found]
    without = [forecasts.without_reviews[slug] for slug in found]
    return RecallSummary(
        kind=kind,
        name=name,
        concepts=len(found),
        with_plan=round(sum(with_plan) / len(found), 4),
        without_reviews=round(sum(without) / len(found), 4),
        below_target=sum(1 for value in with_plan if value < target),
    )


def _recall_summaries(
    request: PlanRequest, needed: Needed, forecasts: Forecasts
) -> list[RecallSummary]:
    """Per tier and per track over their topics, then overall: what the interview asks.

    A topic the person knew before (a background, or learned before a replan)
    counts when they have rated it; one never rated has no forecast.
    """
    topics_by_tier: list[list[str]] = [[] for _ in TIERS]
    for slug, relevance in request.relevance.items():
        topics_by_tier[tier_index(relevance)].append(slug)
    target = request.target_retention
    found = [
        recall_summary("tier", tier.name, sorted(topics), forecasts, target)
        for tier, topics in zip(TIERS, topics_by_tier, strict=True)
    ]
    found += [
        recall_summary("track", track, concepts, forecasts, target)
        for track, concepts in sorted(request.tracks.items())
    ]
    everything = sorted(request.relevance)
    return [*found, recall_summary("overall", "overall", everything, forecasts, target)]
