"""Which targets to learn: core topics first, then important ones, then useful ones.

A target is a concept the interview asks about (relevance > 0); its tier
(core, important, useful: planner.domain.TIERS) comes from its relevance, its
value from kb.dag.target_value: relevance squared, and more for a practice
concept that rehearses a whole stage of the loop. A target counts only when it is
learned with every prerequisite not yet known; prerequisites are worth
nothing of their own and shared ones are paid once. The objective, in one
line: the most core value that fits, then the most important value that fits
beside it, then the most useful value, each tier never taking time that a
cut higher-tier target could have used.

Within a tier that is a precedence-constrained set-union knapsack. It is
solved exactly as a 0-1 integer program (HiGHS, single-threaded, under a
fixed node limit, so the answer is deterministic) one tier at a time, each
tier's optimum fixed as a constraint for the next, seeded with the greedy's
answer. A greedy that recomputes each target's marginal
closure cost after every pick, followed by one-swap improvement, runs too:
it is the answer for graphs too large for the solver, and the better of the
two (compared tier by tier, then by minutes) is kept, so the solver can only help.
Where they are as good, the greedy's answer is kept: which of several equal optima
HiGHS hands back depends on its presolve and the order of its columns, and a plan
should not change with those. The greedy's ties go to what comes first in learning
order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from kb.dag import (
    by_position,
    dependent_lists,
    in_position_order,
    known_closure,
    memoized,
    target_value,
    upstream_closure,
)
from kb.dag import edge_kinds as dag_edge_kinds
from planner.domain import (
    ESSENTIAL_PLAN_MINUTES,
    ESSENTIAL_SHARE,
    ESSENTIAL_SHORT_SHARE,
    ESSENTIALS_TOTAL_SHARE,
    TIERS,
    Cut,
    PlanRequest,
    tier_index,
)

EXACT_MAX_CONCEPTS = 2500  # larger needed sets go to the greedy alone
SOLVER_NODE_LIMIT = 2000  # branch-and-bound nodes per solve: a work limit, not a clock
SWAP_MAX_TARGETS = 60  # one-swap improvement only for tiers this small (it is quadratic)
TOWARD_TOPICS = 3  # cut topics whose prerequisites the time left may go to, most valuable first


def learn_minutes(graph: nx.DiGraph, slug: str) -> int:
    """A concept's study time in whole 5-minute steps; one hour when it has no estimate."""
    hours = graph.nodes[slug].get("hours")
    return max(5, 5 * round((hours if hours is not None else 1.0) * 12))


class _LearnMinutes(dict):
    """slug -> learn_minutes, looked up on first use."""

    def __init__(self, graph: nx.DiGraph):
        super().__init__()
        self._nodes = graph.nodes

    def __missing__(self, slug: str) -> int:
        hours = self._nodes[slug].get("hours")
        found = self[slug] = max(5, 5 * round((hours if hours is not None else 1.0) * 12))
        return found


def learn_minutes_of(graph: nx.DiGraph) -> Mapping[str, int]:
    """learn_minutes for every concept, kept for the graph's lifetime when it is frozen."""
    return memoized(graph, "learn minutes", lambda: _LearnMinutes(graph))


def remaining_minutes(graph: nx.DiGraph, request: PlanRequest, slug: str) -> int:
    """What is left to study of a concept: its estimate minus the minutes already studied."""
    return learn_minutes(graph, slug) - request.progress.get(slug, 0)


def edge_kinds(request: PlanRequest) -> frozenset[str]:
    return dag_edge_kinds(request.include_recommended)


@dataclass
class Needed:
    """The concepts the targets need and are not known, with what selection computes over.

    A plan over a large graph needs tens of thousands of concepts and fits a
    few hundred: what is derived from the whole set (positions, dependents,
    totals, each cut topic's prerequisites) is computed once, when first asked,
    and every later question is answered in time proportional to what fits.
    """

    order: list[str]  # by graph position: a topological order
    prerequisites: Mapping[str, Sequence[str]]  # within the needed set, over the chosen edge kinds
    cost: dict[str, int]  # learning minutes still to study
    value: dict[str, float]  # targets only: relevance squared
    tier: dict[str, int]  # targets only: index into TIERS, in learning order
    # The request's must-have targets still to learn, the most valuable first (then in
    # learning order), then its loop rounds' essentials the plan can afford
    # (needed_subgraph): learned before any other choice, as many as fit (must_learn).
    must: list[str] = field(default_factory=list)
    essentials: tuple[str, ...] = ()  # those of `must` that are loop rounds' groundwork
    # The graph's dependents over the same edge kinds, in learning order (kb.dag.dependent_lists):
    # `dependents` and some concepts outside the needed set, at no cost per plan.
    successors: Mapping[str, Sequence[str]] | None = field(default=None, repr=False, compare=False)
    _upstream: dict[str, tuple[frozenset[str] | Mapping[str, Sequence[str]], list[str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def must_haves(self) -> list[str]:
        """The team's must-haves: `must` but the rounds' essentials."""
        return [t for t in self.must if t not in self.essentials]

    def must_haves_in(self, kept: set[str] | frozenset[str]) -> bool:
        return all(t in kept for t in self.must_haves)

    @cached_property
    def dependents(self) -> dict[str, list[str]]:
        """slug -> the needed concepts resting on it directly, in learning order."""
        found: dict[str, list[str]] = {slug: [] for slug in self.order}
        prerequisites = self.prerequisites
        for slug in self.order:
            for prerequisite in prerequisites[slug]:
                found[prerequisite].append(slug)
        return found

    @property
    def dependents_and_more(self) -> Mapping[str, Sequence[str]]:
        """`dependents`, or a superset in the same order: test each for membership."""
        return self.successors if self.successors is not None else self.dependents

    @cached_property
    def position(self) -> dict[str, int]:
        """slug -> its index in `order`."""
        return {slug: index for index, slug in enumerate(self.order)}

    @cached_property
    def total_minutes(self) -> int:
        return sum(self.cost.values())

    @cached_property
    def _by_tier(self) -> list[list[str]]:
        found: list[list[str]] = [[] for _ in TIERS]
        for slug, tier in self.tier.items():
            found[tier].append(slug)
        return found

    def targets_of(self, tier: int) -> list[str]:
        """The tier's targets in learning order."""
        return list(self._by_tier[tier])

    def closure(self, slugs: Iterable[str], *, without: set[str] | frozenset[str] = frozenset()):
        """`slugs` and their prerequisites in the needed set, except those in `without`."""
        found = {slug for slug in slugs if slug not in without}
        stack = list(found)
        prerequisites, add, push, pop = self.prerequisites, found.add, stack.append, stack.pop
        while stack:
            for prerequisite in prerequisites[pop()]:
                if prerequisite not in found and prerequisite not in without:
                    add(prerequisite)
                    push(prerequisite)
        return found

    def minutes(self, slugs: Iterable[str]) -> int:
        return sum(map(self.cost.__getitem__, slugs))

    def closure_minutes(
        self,
        slug: str,
        *,
        without: set[str],
        limit: int,
        over: set[str] | frozenset[str] = frozenset(),
    ) -> int | None:
        """Minutes of `slug` with its prerequisites outside `without`; None once over `limit`.

        Bounded, so asking about a topic with a closure of 100k concepts costs
        only as much walking as the answer needs. `over` may name concepts known
        to be over `limit` with the same `without`: reaching one ends the walk,
        since what it rests on `slug` rests on too.
        """
        found = {slug}
        stack = [slug]
        cost, prerequisites = self.cost, self.prerequisites
        total = cost[slug]
        while stack:
            if total > limit:
                return None
            for prerequisite in prerequisites[stack.pop()]:
                if prerequisite not in found and prerequisite not in without:
                    if prerequisite in over:
                        return None
                    found.add(prerequisite)
                    total += cost[prerequisite]
                    stack.append(prerequisite)
        return total if total <= limit else None

    def closure_minutes_of(
        self, slugs: Iterable[str], *, without: set[str], limit: int
    ) -> dict[str, int | None]:
        """closure_minutes of each of `slugs`.

        In learning order, so that each one found over `limit` ends the walks
        of those resting on it. When the walks would cost more than a pass over
        the needed set, chain_minutes answers first: with `without` closed
        under prerequisites, a concept's closure outside it takes at least its
        heaviest chain less all of `without`, and a topic whose heaviest chain
        is over `limit` by more than that needs no walk at all.
        """
        return dict(self._closures_minutes(slugs, without=without, limit=limit))

    def any_closure_within(self, slugs: Iterable[str], *, without: set[str], limit: int) -> bool:
        """Is closure_minutes of any of `slugs` within `limit`? (As closure_minutes_of.)"""
        return any(
            minutes is not None
            for _, minutes in self._closures_minutes(slugs, without=without, limit=limit)
        )

    def _closures_minutes(
        self, slugs: Iterable[str], *, without: set[str], limit: int
    ) -> Iterator[tuple[str, int | None]]:
        slugs = sorted(slugs, key=self.position.__getitem__)
        over: set[str] = set()
        chains: Mapping[str, int] = {}
        taken = 0
        if self.chains_pay(len(slugs), limit) and self.is_closed(without, without):
            chains = self.chain_minutes
            taken = sum(self.cost.get(slug, 0) for slug in without)
        for slug in slugs:
            if chains and chains[slug] - taken > limit and slug not in without:
                minutes = None
            else:
                minutes = self.closure_minutes(slug, without=without, limit=limit, over=over)
            if minutes is None:
                over.add(slug)
            yield slug, minutes

    def chains_pay(self, walks: int, limit: int) -> bool:
        """Would `walks` closure walks bounded by `limit` minutes cost more than the one
        pass of chain_minutes (or is it there already)? It is kept for every later call:
        each tier, each budget tried, the greedy and the cut list."""
        if "chain_minutes" in self.__dict__:
            return True
        mean = self.total_minutes / max(1, len(self.order))
        return 2 * walks * min(len(self.order), limit / max(mean, 1.0)) > len(self.order)

    @cached_property
    def chain_minutes(self) -> dict[str, int]:
        """For each concept, the minutes of its heaviest prerequisite chain, itself included:
        a lower bound on the minutes of its closure. (chain_lengths comes with it.)"""
        heaviest: dict[str, int] = {}
        length: dict[str, int] = {}
        cost, prerequisites = self.cost, self.prerequisites
        weight_of, length_of = heaviest.__getitem__, length.__getitem__
        for slug in self.order:
            before = prerequisites[slug]
            if before:
                heaviest[slug] = cost[slug] + max(map(weight_of, before))
                length[slug] = max(map(length_of, before)) + 1
            else:
                heaviest[slug] = cost[slug]
                length[slug] = 1
        self.__dict__.setdefault("chain_lengths", length)
        return heaviest

    @cached_property
    def chain_lengths(self) -> dict[str, int]:
        """For each concept, the concepts in its longest prerequisite chain, itself included."""
        length: dict[str, int] = {}
        prerequisites, length_of = self.prerequisites, length.__getitem__
        for slug in self.order:
            before = prerequisites[slug]
            length[slug] = max(map(length_of, before)) + 1 if before else 1
        return length

    def ancestor_masks(self, bits: Mapping[str, int]) -> dict[str, int]:
        """Each concept some of `bits`' concepts rest on (or is), with the OR of their bits:
        the closures of several concepts in one pass from dependents to prerequisites."""
        masks = dict(bits)
        get, prerequisites = masks.get, self.prerequisites
        for slug in reversed(self.order):
            mask = get(slug)
            if mask:
                for prerequisite in prerequisites[slug]:
                    old = get(prerequisite, 0)
                    if old | mask != old:
                        masks[prerequisite] = old | mask
        return masks

    def closures_minutes(self, groups: Sequence[Iterable[str]]) -> list[int]:
        """minutes(closure(group)) for each group, in one pass for all of them."""
        by_mask = {mask: self.minutes(slugs) for mask, slugs in self._closures(groups).items()}
        return [
            sum(minutes for mask, minutes in by_mask.items() if mask >> index & 1)
            for index in range(len(groups))
        ]

    def upstream(self, topic: str) -> tuple[Mapping[str, object] | frozenset[str], list[str]]:
        """`topic` with everything it rests on (a set, or a mapping keyed by it), and those of
        them with no prerequisite at all, in learning order. Kept for later calls."""
        found = self._upstream.get(topic)
        if found is None:
            self.prepare_upstream([topic])
            found = self._upstream[topic]
        return found

    def prepare_upstream(self, topics: Iterable[str]) -> None:
        """Compute upstream() of each of `topics` not known yet: one walk for one topic,
        one pass (ancestor_masks) for several, which also gives tier_minutes."""
        missing = [t for t in dict.fromkeys(topics) if t not in self._upstream]
        if len(self.tier) == 1 and self.order and self.order[-1] in missing:
            only = self.order[-1]  # the only target (last in learning order) needs it all
            self._upstream[only] = (self.prerequisites, self.roots)
            missing.remove(only)
        if len(missing) == 1 and ("tier_minutes" in self.__dict__ or not self._tiers_apart()):
            sets = [frozenset(self.closure(missing))]
        elif missing:
            groups = [[topic] for topic in missing]
            with_tiers = "tier_minutes" not in self.__dict__ and self._tiers_apart()
            if with_tiers:
                groups += self._by_tier
            grouped: list[set[str]] = [set() for _ in missing]
            minutes = [0] * len(groups)
            for mask, slugs in self._closures(groups).items():
                for index, group in enumerate(grouped):
                    if mask >> index & 1:
                        group.update(slugs)
                spent = self.minutes(slugs)
                for index in range(len(groups)):
                    if mask >> index & 1:
                        minutes[index] += spent
            if with_tiers:
                self.__dict__["tier_minutes"] = minutes[len(missing) :]
            sets = [frozenset(group) for group in grouped]
        else:
            sets = []
        for topic, members in zip(missing, sets, strict=True):
            self._upstream[topic] = (members, [slug for slug in self.roots if slug in members])

    def _tiers_apart(self) -> bool:
        """Do targets of more than one tier need concepts (so tier_minutes takes a pass)?"""
        return sum(1 for group in self._by_tier if group) > 1

    @cached_property
    def tier_minutes(self) -> list[int]:
        """minutes(closure(targets_of(tier))) for each tier."""
        if not self._tiers_apart():  # the needed set is the closure of all targets
            return [self.total_minutes if group else 0 for group in self._by_tier]
        return self.closures_minutes(self._by_tier)

    def _closures(self, groups: Sequence[Iterable[str]]) -> dict[int, list[str]]:
        """The concepts of closure(group) for each group, by the set of groups (as bits)."""
        bits: dict[str, int] = {}
        for index, group in enumerate(groups):
            for slug in group:
                bits[slug] = bits.get(slug, 0) | 1 << index
        by_mask: dict[int, list[str]] = {}
        for slug, mask in self.ancestor_masks(bits).items():
            found = by_mask.get(mask)
            if found is None:
                by_mask[mask] = [slug]
            else:
                found.append(slug)
        return by_mask

    @cached_property
    def roots(self) -> list[str]:
        """The needed concepts with no needed prerequisite, in learning order."""
        prerequisites = self.prerequisites
        return [slug for slug in self.order if not prerequisites[slug]]

    def is_closed(self, slugs: Iterable[str], within: set[str] | frozenset[str]) -> bool:
        """Are `slugs` needed concepts whose prerequisites are all in `within`?"""
        prerequisites, none = self.prerequisites, (None,)
        return all(p in within for slug in slugs for p in prerequisites.get(slug, none))


def needed_subgraph(graph: nx.DiGraph, request: PlanRequest, usable: int | None = None) -> Needed:
    """The targets not known, their prerequisites not known, and the edges between them.

    `usable`, the plan's learning minutes, decides which of the request's essentials
    are learned after its must-haves, by what they take of it (PlanRequest.essentials);
    without it, all of them are.
    """
    kinds = edge_kinds(request)
    skip = known_closure(graph, request.known | request.shaky)
    if request.must:
        # A must-have is studied in full unless the candidate surely knows it (it, or a
        # concept resting on it, is known, and it is not shaky itself): every loop asks
        # about it in depth, so rusty is not enough for a refresher only.
        skip -= request.must - (known_closure(graph, request.known) - request.shaky)
    targets = {slug for slug in request.relevance if slug not in skip}
    prerequisites = upstream_closure(graph, targets, kinds=kinds, stop=skip)
    order = in_position_order(graph, prerequisites)
    minutes = learn_minutes_of(graph)
    cost = {slug: minutes[slug] for slug in order}
    for slug, done in request.progress.items():
        if slug in cost:
            cost[slug] -= done
    nodes = graph.nodes
    ordered_targets = by_position(graph, targets)
    value = {s: target_value(nodes[s], request.relevance[s]) for s in ordered_targets}
    needed = Needed(
        order=order,
        prerequisites=prerequisites,
        cost=cost,
        value=value,
        tier={slug: tier_index(request.relevance[slug]) for slug in ordered_targets},
        must=sorted(
            (slug for slug in ordered_targets if slug in request.must), key=lambda s: -value[s]
        ),
        successors=dependent_lists(graph, kinds),
    )
    share = (
        ESSENTIAL_SHARE
        if usable is None or usable >= ESSENTIAL_PLAN_MINUTES
        else ESSENTIAL_SHORT_SHARE
    )
    closure = {
        slug: needed.minutes(needed.closure([slug])) for slug in request.essentials if slug in value
    }
    essentials = sorted(  # the cheapest first: as many rounds as the plan can afford
        (
            slug
            for slug in request.essentials
            if slug in value  # not known
            and slug not in request.must  # nor the team's own must-have
            and request.relevance[slug] >= TIERS[1].threshold  # what the team weighs
            and (usable is None or closure[slug] <= share * usable)
        ),
        key=closure.__getitem__,
    )
    needed.must += essentials
    needed.essentials = tuple(essentials)
    return needed


def must_learn(needed: Needed, budget: int) -> frozenset[str]:
    """The must-have targets that fit `budget`, in Needed.must's order, with every
    prerequisite they need: what any selection within `budget` must hold.

    The team's must-haves come first, then the rounds' groundwork, and the groundwork
    only once every must-have is in: taken before them, or beside one that did not fit,
    it cost an LLM research plan the Transformer and a one-week generative media plan
    diffusion models. Until then it is weighed as any topic, and so is what would take
    the groundwork past ESSENTIALS_TOTAL_SHARE of the budget: each round's small beside
    the plan, a loop of five rounds could otherwise leave the team's topics a trickle.
    """
    kept: set[str] = set()
    total = 0
    groundwork = 0  # minutes the essentials added
    for topic in needed.must:
        essential = topic in needed.essentials
        if essential and not needed.must_haves_in(kept):
            break
        grown = needed.closure([topic], without=kept)
        minutes = needed.minutes(grown)
        if essential and groundwork + minutes > ESSENTIALS_TOTAL_SHARE * budget:
            continue  # the rest of the plan is the team's topics, whatever the loop
        if total + minutes <= budget:
            kept |= grown
            total += minutes
            groundwork += minutes if essential else 0
    return frozenset(kept)


# --- comparing selections -------------------------------------------------------------------


def tier_values(needed: Needed, kept: set[str]) -> tuple[float, ...]:
    """Value learned per tier, rounded so float noise never decides between two selections."""
    totals = [0.0] * len(TIERS)
    for slug, tier in needed.tier.items():
        if slug in kept:
            totals[tier] += needed.value[slug]
    return tuple(round(total, 9) for total in totals)


def _better(needed: Needed, first: set[str], second: set[str]) -> bool:
    """Is `first` better: more value tier by tier, then fewer minutes?"""
    a, b = tier_values(needed, first), tier_values(needed, second)
    if a != b:
        return a > b
    return needed.minutes(first) < needed.minutes(second)


# --- the greedy -----------------------------------------------------------------------------


def _missing(needed: Needed, slug: str, kept: set[str], limit: int) -> tuple[set[str] | None, int]:
    """`slug` and its prerequisites not yet kept, with their cost; None once over `limit`."""
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


def _greedy_tier(
    needed: Needed, tier: int, kept: set[str], budget: int, *, chains: bool | None = None
) -> set[str]:
    """Add the tier's targets by value per marginal minute, recomputed after every pick.

    Recomputed exactly, but only where a pick changed it: a pick P (a target with
    what it was missing) takes from another candidate's missing closure exactly
    the part inside P, and costs exactly the minutes now left. So a candidate
    whose closure P does not touch keeps its closure and cost, one it touches
    loses P's part, and one over the minutes left stays over them for good
    (it loses at most what P cost, and the minutes left lose all of it).

    With `kept` closed, a candidate whose heaviest prerequisite chain, less all
    that is kept, is over the minutes left is over them too, and needs no walk:
    over a large graph, most of the targets (`chains`: None decides by
    Needed.chains_pay, True and False force it either way).
    """
    kept = set(kept)
    left = budget - needed.minutes(kept)
    candidates = [slug for slug in needed.targets_of(tier) if slug not in kept]
    if chains is None:
        chains = needed.chains_pay(len(candidates), left)
    if chains and candidates and needed.is_closed(kept, kept):
        heaviest, taken = needed.chain_minutes, budget - left
        candidates = [slug for slug in candidates if heaviest[slug] - taken <= left]
    missing: dict[str, tuple[set[str], int]] = {}
    value, cost_of = needed.value, needed.cost
    while candidates:
        best: tuple[tuple[float, float, int], str, set[str], int] | None = None
        feasible = []
        for slug in candidates:
            found = missing.get(slug)
            if found is None:
                closure, cost = _missing(needed, slug, kept, left)
                if closure is None:
                    continue  # over the minutes left, now and after any later pick
                missing[slug] = (closure, cost)
            else:
                closure, cost = found
                if cost > left:
                    continue
            key = (value[slug] / cost, value[slug], -len(feasible))
            feasible.append(slug)
            if best is None or key > best[0]:
                best = (key, slug, closure, cost)
        if best is None:
            break
        _, slug, picked, cost = best
        kept |= picked
        left -= cost
        candidates = [other for other in feasible if other not in kept]
        for other in candidates:
            closure, other_cost = missing[other]
            if not picked.isdisjoint(closure):
                shared = closure & picked
                missing[other] = (
                    closure - shared,
                    other_cost - sum(map(cost_of.__getitem__, shared)),
                )
    return kept


def _improve_tier(needed: Needed, tier: int, base: set[str], kept: set[str], budget: int):
    """One-swap local search: drop one of the tier's targets, refill greedily, keep if better."""
    targets = [slug for slug in needed.targets_of(tier) if slug in kept and slug not in base]
    if len(needed.targets_of(tier)) > SWAP_MAX_TARGETS:
        return kept
    improved = True
    while improved:
        improved = False
        for slug in targets:
            others = [t for t in needed.tier if t in kept and t != slug]
            rest = needed.closure(others)
            if slug in rest:  # another kept target needs it
                continue
            trial = _greedy_tier(needed, tier, rest, budget)
            if _better(needed, trial, kept) and slug not in trial:
                kept = trial
                targets = [t for t in needed.targets_of(tier) if t in kept and t not in base]
                improved = True
                break
    return kept


def greedy_select(
    needed: Needed, budget: int, *, start: set[str] | None = None, first_tier: int = 0
) -> set[str]:
    """Tier by tier: marginal-cost greedy, then one-swap improvement.

    `start` holds what the tiers before `first_tier` learn, when already decided.
    """
    kept: set[str] = set(start or ())
    for tier in range(first_tier, len(TIERS)):
        base = set(kept)
        kept = _greedy_tier(needed, tier, kept, budget)
        kept = _improve_tier(needed, tier, base, kept, budget)
    return needed.closure(t for t in needed.tier if t in kept)


# --- the exact solver -----------------------------------------------------------------------


def _choosable(needed: Needed, forced: frozenset[str], spare: int) -> list[str]:
    """The concepts outside `forced` that fit `spare` minutes with their prerequisites
    outside it, in learning order: the others cannot be chosen.

    Not a walk per concept: a concept's longest chain of prerequisites is a lower bound
    of its minutes, and the deepest concepts are walked first, so everything under one
    that fits is known to fit without a walk of its own.
    """
    free = [slug for slug in needed.order if slug not in forced]
    if needed.minutes(free) <= spare:
        return free
    chain: dict[str, int] = dict.fromkeys(forced, 0)
    over: set[str] = set()
    for slug in free:  # learning order: prerequisites first
        chain[slug] = needed.cost[slug] + max(
            (chain[p] for p in needed.prerequisites[slug]), default=0
        )
        if chain[slug] > spare:
            over.add(slug)
    fits: set[str] = set()
    for slug in reversed(free):
        if slug in fits or slug in over:
            continue
        if needed.closure_minutes(slug, without=forced, limit=spare, over=over) is None:
            over.add(slug)
        else:
            fits |= needed.closure([slug], without=forced)
    return [slug for slug in free if slug in fits]


def exact_select(
    needed: Needed,
    budget: int,
    *,
    node_limit: int = SOLVER_NODE_LIMIT,
    start: set[str] | None = None,
    held_tiers: int = 0,
    forced: frozenset[str] = frozenset(),
) -> tuple[set[str], bool] | None:
    """The lexicographic optimum as 0-1 programs; (kept, proven optimal), None without a solver.

    Variables x[c] = 1 when concept c is learned; x[c] <= x[p] for every edge
    p -> c; the learned minutes fit the budget. Tier by tier, maximise the
    value of learned targets with the higher tiers held at their optimum.
    `start` (the greedy's answer, closed and within budget) is the answer kept
    if a solve fails, and a tier of which it already learns every target that can
    fit at all needs no solve; neither do the first `held_tiers` tiers, whose values
    in `start` the caller knows optimal. The concepts in `forced` (must_learn: closed,
    within budget, and in `start`) are learned in every solution.

    Only what a solution may choose is a variable: the forced concepts are left out,
    their minutes taken from the budget, and so is any concept whose prerequisites
    outside them alone exceed what is left. HiGHS's presolve found both on its own, but
    presolve is most of a solve on these small programs, and each tier's solve
    presolved them again: left out, the solves on the shipped graph's plans took a sixth
    less time (6.3 -> 5.3 ms a plan) and an eighth fewer were needed.
    """
    try:
        import highspy
    except ImportError:  # the greedy alone then
        return None
    spare = budget - needed.minutes(forced)
    columns = _choosable(needed, forced, spare)
    index = {slug: i for i, slug in enumerate(columns)}
    count = len(index)
    highs = highspy._core._Highs()  # the plain binding: the wrapper prints a banner to stdout
    for option, value in (
        ("output_flag", False),
        ("threads", 1),
        ("random_seed", 0),
        ("mip_rel_gap", 0.0),
        ("mip_max_nodes", node_limit),
        # The greedy's answer seeds every solve, so HiGHS's own primal heuristics
        # (feasibility jump above all) cost a third of its time and find nothing
        # better; presolve, cuts and branching still prove the optimum.
        ("mip_heuristic_run_feasibility_jump", False),
        ("mip_heuristic_run_rins", False),
        ("mip_heuristic_run_rens", False),
        ("mip_heuristic_run_root_reduced_cost", False),
        ("mip_heuristic_run_zi_round", False),
        ("mip_heuristic_run_shifting", False),
        ("mip_detect_symmetry", False),  # a prerequisite graph has next to none
    ):
        highs.setOptionValue(option, value)
    lp = highspy.HighsLp()
    lp.num_col_ = count
    lp.col_cost_ = [0.0] * count
    lp.col_lower_ = [0.0] * count
    lp.col_upper_ = [1.0] * count
    lp.integrality_ = [highspy.HighsVarType.kInteger] * count
    starts, rows, values, lower, upper = [0], [], [], [], []

    def add_row(entries: Mapping[int, float], low: float, high: float) -> None:
        rows.extend(entries)
        values.extend(entries.values())
        starts.append(len(rows))
        lower.append(low)
        upper.append(high)

    inf = highspy.kHighsInf
    for slug in columns:
        for prerequisite in needed.prerequisites[slug]:
            if prerequisite not in forced:
                add_row({index[slug]: 1.0, index[prerequisite]: -1.0}, -inf, 0.0)
    add_row({index[s]: float(needed.cost[s]) for s in columns}, -inf, float(spare))
    lp.num_row_ = len(lower)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = starts, rows, values
    highs.passModel(lp)

    proven = True
    solution = [1.0 if slug in start else 0.0 for slug in columns] if start else None
    objectives = [
        {index[s]: needed.value[s] for s in needed.targets_of(tier) if s in index}
        for tier in range(len(TIERS))
    ]
    for tier, weights in enumerate(objectives):
        if not weights:
            continue
        whole = solution is not None and all(solution[i] > 0.5 for i in weights)
        if solution is not None and (whole or tier < held_tiers):
            reached = sum(weights[i] * solution[i] for i in weights)
            highs.addRow(  # already optimal: hold it, nothing to solve
                reached - 1e-6,
                inf,
                len(weights),
                list(weights),
                list(weights.values()),
            )
            continue
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        highs.changeColsCost(count, list(range(count)), [weights.get(i, 0.0) for i in range(count)])
        # No MIP start: HiGHS 1.16 with presolve may hand back the start's columns
        # with a better objective than they reach, and the start saves no time here.
        highs.run()
        info = highs.getInfo()
        if info.primal_solution_status != 2:  # no feasible point: keep what we have
            proven = False
            break
        found = list(highs.getSolution().col_value)
        reached = sum(weights[i] * found[i] for i in weights)  # held for the tiers below
        if abs(reached - info.objective_function_value) > 1e-6:  # columns and objective disagree
            proven = False
            break
        proven &= highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        solution = found
        highs.addRow(reached - 1e-6, inf, len(weights), list(weights), list(weights.values()))
    if solution is None:
        return set(forced), proven
    chosen = {slug for slug in columns if solution[index[slug]] > 0.5} | forced
    return needed.closure(t for t in needed.tier if t in chosen), proven


# --- selection, the cut list and what is learned toward a cut target ------------------------


@dataclass
class Selection:
    """What is learned within `budget`: `kept` is closed under prerequisites.

    `topics` are the cut topics, tier by tier, the most valuable first, and
    `cuts` the same with their reasons (cut_topics), worked out when first
    asked for: a plan tries several budgets and shows the reasons of the one
    it keeps, and counting a topic's minutes can mean a long walk. The
    prerequisites cut with them (prerequisite_cuts) can be most of a large
    graph, so they are listed once too, for the plan that is kept.
    """

    kept: set[str]
    budget: int
    exact: bool
    topics: list[str] = field(default_factory=list)
    toward: dict[str, str] = field(default_factory=dict)  # prerequisite -> cut target
    reasons: Callable[[], list[Cut]] | None = field(default=None, repr=False, compare=False)
    _cuts: list[Cut] | None = field(default=None, repr=False, compare=False)

    @property
    def cuts(self) -> list[Cut]:
        if self._cuts is None:
            self._cuts = self.reasons() if self.reasons is not None else []
        return self._cuts


@dataclass
class ProvenOptima:
    """Optima already proven for one plan's needs, at the budgets tried so far.

    A plan is selected several times on nearby budgets (sessions lose minutes,
    idle buffers are offered back). The optimum at a budget B is still optimal
    at any smaller budget that holds it, and its tier values bound every smaller
    budget from above, so most repeats need no solver run at all.
    """

    # (budget, the optimum, its tier values, the must-haves it was forced to hold)
    found: list[tuple[int, frozenset[str], tuple[float, ...], frozenset[str]]] = field(
        default_factory=list
    )

    def _at_least(self, budget: int, forced: frozenset[str]):
        """The optima at budgets >= `budget` that held the same must-haves: the others
        solved another problem."""
        return [entry for entry in self.found if entry[0] >= budget and entry[3] == forced]

    def holding(
        self, needed: Needed, budget: int, forced: frozenset[str] = frozenset()
    ) -> set[str] | None:
        """A proven optimum at a budget >= `budget` whose minutes fit `budget`."""
        for _, kept, _, _ in self._at_least(budget, forced):
            if needed.minutes(kept) <= budget:
                return set(kept)
        return None

    def reached_by(
        self, needed: Needed, budget: int, kept: set[str], forced: frozenset[str] = frozenset()
    ) -> bool:
        """Does `kept` reach the proven optimum of some budget >= `budget` (so it is optimal)?"""
        values = tier_values(needed, kept)
        return any(values == best for _, _, best, _ in self._at_least(budget, forced))

    def add(
        self, needed: Needed, budget: int, kept: set[str], forced: frozenset[str] = frozenset()
    ) -> None:
        self.found.append((budget, frozenset(kept), tier_values(needed, kept), forced))

    def held_prefix(
        self, needed: Needed, budget: int, forced: frozenset[str] = frozenset()
    ) -> tuple[int, set[str]]:
        """The most leading tiers known optimal at `budget`, and what learns them.

        The optimum at a budget B >= `budget` bounds every tier's value here
        (given the tiers above at theirs). When the closure of its core topics
        fits `budget`, the core value is optimal here too; when its core and
        important topics fit, both are; and so on. Those tiers need no solve.
        """
        best: tuple[int, set[str]] = (0, set())
        for _, kept, _, _ in self._at_least(budget, forced):
            for tier in range(len(TIERS), best[0], -1):
                part = needed.closure(t for t in kept if needed.tier.get(t, tier) < tier)
                part |= forced  # closed, and in `kept`: the must-haves stay
                if needed.minutes(part) <= budget:
                    best = (tier, part)
                    break
        return best


def select(
    needed: Needed, budget: int, graph: nx.DiGraph, proven: ProvenOptima | None = None
) -> Selection:
    """The targets to learn within `budget` minutes, the cut list, and the time left's use.

    `proven` carries optima from earlier budgets of the same plan; give the same
    object to every call for one plan, and it saves the solver's repeats.
    """
    if needed.total_minutes <= budget:
        return Selection(set(needed.order), budget, exact=True)
    proven = proven if proven is not None else ProvenOptima()
    forced = must_learn(needed, budget)
    kept = proven.holding(needed, budget, forced)
    exact = kept is not None
    if kept is None:
        held, part = proven.held_prefix(needed, budget, forced)
        kept = greedy_select(needed, budget, start=part | forced, first_tier=held)
        exact = proven.reached_by(needed, budget, kept, forced)
        if not exact and len(needed.order) <= EXACT_MAX_CONCEPTS:
            solved = exact_select(needed, budget, start=kept, held_tiers=held, forced=forced)
            if solved is not None:
                candidate, exact = solved
                if _better(needed, candidate, kept):
                    kept = candidate
        if exact:
            proven.add(needed, budget, kept, forced)
    selection = Selection(kept, budget, exact, topics=cut_topic_order(needed, kept))
    selection.reasons = lambda: cut_topics(needed, kept, budget, graph)
    selection.toward = toward_cut_targets(needed, selection, budget)
    return selection


def hours_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d}"


def _tier_names(tier: int, *, first: Sequence[str] = ()) -> str:
    """'the other core', 'the core and other important', 'the core, important and other useful';
    with `first` (what was learned before any tier: "must-have", "round groundwork"),
    'the must-have and other core', 'the must-have, core and other important'."""
    names = [*first, *(t.name for t in TIERS[:tier]), f"other {TIERS[tier].name}"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


CUT_TOPICS_NAMED = 10  # cut topics a cut prerequisite records as the ones it was for
# Prerequisite cuts listed by name, those nearest the cut topics; the rest are counted. No
# reader goes through more, and a plan over a large graph would otherwise name every
# concept its cut topics rest on (tens of thousands).
PREREQUISITE_CUTS_LISTED = 500


def cut_list(needed: Needed, kept: set[str], budget: int, graph: nx.DiGraph) -> list[Cut]:
    """Cut targets by tier with reasons in numbers; then prerequisites no kept target needs."""
    topics = cut_topics(needed, kept, budget, graph)
    return topics + prerequisite_cuts(needed, kept, topics, graph)


def cut_topic_order(needed: Needed, kept: set[str]) -> list[str]:
    """The targets not in `kept`, tier by tier, the most valuable first (cut_topics' order)."""
    position = needed.position
    found = []
    for tier in range(len(TIERS)):
        cut_here = [t for t in needed.targets_of(tier) if t not in kept]
        found += sorted(cut_here, key=lambda t: (-needed.value[t], position[t]))
    return found


def cut_topics(needed: Needed, kept: set[str], budget: int, graph: nx.DiGraph) -> list[Cut]:
    """Cut targets by tier, the most valuable first, with reasons in numbers.

    A topic's minutes are counted up to ten times the budget (and at least 100 h):
    beyond that the reason says "more than", which is all a reader needs, and a
    graph of 100k concepts is not walked once per cut topic.
    """
    cuts: list[Cut] = []
    position = needed.position
    limit = max(10 * budget, 6000)
    nodes = graph.nodes
    must = set(needed.must)
    for tier in range(len(TIERS)):
        cut_here = [t for t in needed.targets_of(tier) if t not in kept]
        if not cut_here:
            continue
        above = {t for t, level in needed.tier.items() if level <= tier and t in kept}
        # Must-haves of a lower tier are learned first all the same (must_learn): the time
        # they take is not left for this tier's topics.
        first = {t for t in must if t in kept and needed.tier[t] > tier}
        served = needed.closure(above | first)
        left = max(budget - needed.minutes(served), 0)
        labels = ["must-have"] * bool(first - set(needed.essentials))
        labels += ["round groundwork"] * bool(first & set(needed.essentials))
        names = _tier_names(tier, first=labels)
        cut_here.sort(key=lambda t: (-needed.value[t], position[t]))
        needs = needed.closure_minutes_of(cut_here, without=served, limit=limit)
        for slug in cut_here:
            minutes = needs[slug]
            amount = (
                hours_text(minutes) if minutes is not None else f"more than {hours_text(limit)}"
            )
            title = nodes[slug].get("title", slug)
            kind = TIERS[tier].name
            if slug in needed.essentials:
                kind = f"round groundwork, {kind}"
            elif slug in must:
                kind = f"must-have {kind}"
            reason = (
                f"{title}: {kind} topic, {amount} with the prerequisites it "
                f"still needs; {hours_text(left)} left after the {names} topics"
            )
            cuts.append(
                Cut(
                    slug,
                    reason,
                    round(needed.value[slug], 4),
                    minutes if minutes is not None else limit,
                    tier=TIERS[tier].name,
                    left_minutes=left,
                    more_than=minutes is None,
                )
            )
    return cuts


def prerequisite_cuts(
    needed: Needed,
    kept: set[str],
    topics: list[Cut],
    graph: nx.DiGraph,
    toward: Mapping[str, str] | None = None,
    *,
    limit: int | None = None,
) -> list[Cut]:
    """The needed concepts neither kept, nor a target, nor learned toward one, in learning
    order, each naming up to CUT_TOPICS_NAMED cut topics (`topics`, cut_topics' list) that
    rest on it; at most `limit` of them, those nearest the cut topics (the last in
    learning order): unlisted_prerequisite_cuts counts the rest.

    The topics a concept names come from one pass from dependents to
    prerequisites, merging short lists (_cut_topic_lists); when at most
    TOWARD_TOPICS topics are cut, from their closures instead (the ones the
    time left went toward, walked already): a concept then names every cut
    topic resting on it, which is what the merging gives when there are no
    more than CUT_TOPICS_NAMED of them. Either pass stops at the `limit`-th
    concept listed, so a plan over a large graph lists in time proportional
    to what it lists, not to the tens of thousands of concepts it leaves out.
    """
    toward = toward or {}
    limit = PREREQUISITE_CUTS_LISTED if limit is None else limit
    cut_targets = [cut.concept for cut in topics]
    if len(cut_targets) <= TOWARD_TOPICS and needed.is_closed(kept, kept):
        return _cuts_by_closures(needed, kept, cut_targets, graph, toward, limit)
    return _cuts_by_merging(needed, kept, cut_targets, graph, toward, limit)


def unlisted_prerequisite_cuts(
    needed: Needed, kept: set[str], toward: Mapping[str, str], listed: list[Cut]
) -> tuple[int, int]:
    """How many prerequisite cuts prerequisite_cuts left out of `listed`, and their minutes:
    the needed concepts less the kept, the targets and those learned toward a target."""
    accounted = {*kept, *needed.tier, *toward}
    count = len(needed.order) - len(accounted) - len(listed)
    minutes = needed.total_minutes - needed.minutes(accounted) - sum(c.minutes for c in listed)
    return count, minutes


def _cuts_by_merging(
    needed: Needed,
    kept: set[str],
    cut_targets: list[str],
    graph: nx.DiGraph,
    toward: Mapping[str, str],
    limit: int,
) -> list[Cut]:
    """prerequisite_cuts, each concept naming the topics _cut_topic_lists gives it."""
    said: dict[int, tuple[str, tuple[str, ...]]] = {}  # one reason per list of topics
    cuts: list[Cut] = []
    if limit <= 0:
        return cuts
    cost, nodes = needed.cost, graph.nodes
    listed = {*kept, *needed.tier, *toward}  # not prerequisite cuts
    for slug, targets in _cut_topic_lists(needed, kept, cut_targets):
        if slug in listed:
            continue
        reason = said.get(id(targets))
        if reason is None:
            reason = said[id(targets)] = _prerequisite_reason(targets, nodes)
        cuts.append(Cut(slug, reason[0], 0.0, cost[slug], None, None, reason[1]))
        if len(cuts) >= limit:
            break
    return cuts[::-1]


def _prerequisite_reason(targets: list[str], nodes) -> tuple[str, tuple[str, ...]]:
    names = ", ".join(nodes[t].get("title", t) for t in targets[:3])
    more = ", ..." if len(targets) > 3 else ""
    return f"a prerequisite only of cut topics: {names}{more}", tuple(targets)


def _cuts_by_closures(
    needed: Needed,
    kept: set[str],
    cut_targets: list[str],
    graph: nx.DiGraph,
    toward: Mapping[str, str],
    limit: int,
) -> list[Cut]:
    """prerequisite_cuts for a few cut topics: each concept names those whose closure holds
    it (kept being closed, one outside it is reached from the topic without passing it)."""
    cuts: list[Cut] = []
    if limit <= 0:
        return cuts
    closures = [needed.upstream(topic)[0] for topic in cut_targets]
    single = closures[0] if len(closures) == 1 else None
    said: dict[int, tuple[str, tuple[str, ...]]] = {}  # topics named, as bits -> reason
    cost, nodes = needed.cost, graph.nodes
    listed = {*kept, *needed.tier, *toward}  # not prerequisite cuts
    for slug in reversed(needed.order):
        if slug in listed:
            continue
        if single is not None:
            named = 1 if slug in single else 0
        else:
            named = 0
            for bit, closure in enumerate(closures):
                if slug in closure:
                    named |= 1 << bit
        reason = said.get(named)
        if reason is None:
            targets = [t for bit, t in enumerate(cut_targets) if named >> bit & 1]
            reason = said[named] = _prerequisite_reason(targets, nodes)
        cuts.append(Cut(slug, reason[0], 0.0, cost[slug], None, None, reason[1]))
        if len(cuts) >= limit:
            break
    return cuts[::-1]


def _cut_topic_lists(
    needed: Needed, kept: set[str], cut_targets: list[str]
) -> Iterator[tuple[str, list[str]]]:
    """Each concept outside `kept`, last in learning order first, with up to
    CUT_TOPICS_NAMED cut topics that rest on it (none: an empty list).

    One pass from dependents to prerequisites, merging short lists, instead of
    one closure per cut topic: a concept takes its dependents' topics, nearest
    dependent first (learning order last to first), until it names
    CUT_TOPICS_NAMED, each list sorted as `cut_targets` is. A concept's list is
    final when the pass reaches it (its dependents come after it in learning
    order), so it is yielded then and the caller may stop at any point. Lists
    are never changed once made, so concepts with the same topics share one list.
    """
    rank = {slug: index for index, slug in enumerate(cut_targets)}
    leads_to: dict[str, list[str]] = {slug: [slug] for slug in cut_targets}
    lists_of, prerequisites = leads_to.get, needed.prerequisites
    none: list[str] = []
    for slug in reversed(needed.order):
        if slug in kept:
            continue
        found = lists_of(slug)
        yield slug, found if found is not None else none
        if found is None:
            continue
        for prerequisite in prerequisites[slug]:
            merged = lists_of(prerequisite)
            if merged is found:
                continue
            if merged is None:  # no kept concept has a list
                if prerequisite not in kept:
                    leads_to[prerequisite] = found
                continue
            if len(merged) >= CUT_TOPICS_NAMED:
                continue
            grown = list(merged)
            for target in found:
                if len(grown) >= CUT_TOPICS_NAMED:
                    break
                if target not in grown:
                    grown.append(target)
            if len(grown) > len(merged):
                grown.sort(key=rank.__getitem__)
                leads_to[prerequisite] = grown


def toward_cut_targets(needed: Needed, selection: Selection, budget: int) -> dict[str, str]:
    """Spend the learning time left on the prerequisites of the most valuable cut targets.

    In learning order, each prerequisite whose own prerequisites are learned
    or taken already and that still fits; the target itself never fits (or
    selection would have kept it). Labelled "toward <target>" in the plan.

    Only concepts that are ready (every prerequisite kept or taken) can be
    taken, and one becomes ready only when its last prerequisite is taken, so
    the walk goes from ready concept to ready concept in learning order: the
    roots of the topic's closure and what rests on the kept concepts first,
    then what each concept taken makes ready. That visits what can fit, not
    the tens of thousands of concepts a deep topic rests on.
    """
    kept = selection.kept
    left = budget - needed.minutes(kept)
    toward: dict[str, str] = {}
    topics = selection.topics[:TOWARD_TOPICS]
    if not topics or left <= 0:
        return toward
    if not needed.is_closed(kept, kept):  # never so from select(); the plain walk then
        return _toward_by_walk(needed, kept, topics, left)
    needed.prepare_upstream(topics)
    position, prerequisites, cost = needed.position, needed.prerequisites, needed.cost
    dependents = needed.dependents_and_more
    for topic in topics:
        if left <= 0:
            break
        members, roots = needed.upstream(topic)

        def ready(slug: str, topic: str = topic, members=members) -> bool:
            return (
                slug != topic
                and slug in members
                and slug not in kept
                and slug not in toward
                and all(p in kept or p in toward for p in prerequisites[slug])
            )

        queue = [position[slug] for slug in roots if ready(slug)]
        for taken in (*kept, *toward):
            queue += [position[d] for d in dependents[taken] if ready(d)]
        queue = list(set(queue))
        heapq.heapify(queue)
        while queue and left > 0:
            slug = needed.order[heapq.heappop(queue)]
            if cost[slug] > left:
                continue
            toward[slug] = topic
            left -= cost[slug]
            for dependent in dependents[slug]:
                if ready(dependent):
                    heapq.heappush(queue, position[dependent])
    return toward


def _toward_by_walk(needed: Needed, kept: set[str], topics: list[str], left: int) -> dict[str, str]:
    """toward_cut_targets over every concept of each topic's closure, in learning order."""
    toward: dict[str, str] = {}
    position = needed.position
    for topic in topics:
        if left <= 0:
            break
        missing = needed.closure([topic], without=kept) - {topic}
        for slug in sorted(missing, key=position.__getitem__):
            if slug in toward or needed.cost[slug] > left:
                continue
            if all(p in kept or p in toward for p in needed.prerequisites[slug]):
                toward[slug] = topic
                left -= needed.cost[slug]
    return toward
