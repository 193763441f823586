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
two (compared tier by tier) is kept, so the solver can only help.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from kb.dag import edge_kinds as dag_edge_kinds
from kb.dag import known_closure, target_value, walk
from planner.domain import TIERS, Cut, PlanRequest, tier_index

EXACT_MAX_CONCEPTS = 2500  # larger needed sets go to the greedy alone
SOLVER_NODE_LIMIT = 2000  # branch-and-bound nodes per solve: a work limit, not a clock
SWAP_MAX_TARGETS = 60  # one-swap improvement only for tiers this small (it is quadratic)
TOWARD_TOPICS = 3  # cut topics whose prerequisites the time left may go to, most valuable first


def learn_minutes(graph: nx.DiGraph, slug: str) -> int:
    """A concept's study time in whole 5-minute steps; one hour when it has no estimate."""
    hours = graph.nodes[slug].get("hours")
    return max(5, 5 * round((hours if hours is not None else 1.0) * 12))


def remaining_minutes(graph: nx.DiGraph, request: PlanRequest, slug: str) -> int:
    """What is left to study of a concept: its estimate minus the minutes already studied."""
    return learn_minutes(graph, slug) - request.progress.get(slug, 0)


def edge_kinds(request: PlanRequest) -> frozenset[str]:
    return dag_edge_kinds(request.include_recommended)


@dataclass
class Needed:
    """The concepts the targets need and are not known, with what selection computes over."""

    order: list[str]  # by graph position: a topological order
    prerequisites: dict[str, list[str]]  # within the needed set, over the chosen edge kinds
    dependents: dict[str, list[str]]
    cost: dict[str, int]  # learning minutes still to study
    value: dict[str, float]  # targets only: relevance squared
    tier: dict[str, int]  # targets only: index into TIERS

    def targets_of(self, tier: int) -> list[str]:
        return [slug for slug in self.order if self.tier.get(slug) == tier]

    def closure(self, slugs: Iterable[str], *, without: set[str] | frozenset[str] = frozenset()):
        """`slugs` and their prerequisites in the needed set, except those in `without`."""
        found = {slug for slug in slugs if slug not in without}
        stack = list(found)
        while stack:
            for prerequisite in self.prerequisites[stack.pop()]:
                if prerequisite not in found and prerequisite not in without:
                    found.add(prerequisite)
                    stack.append(prerequisite)
        return found

    def minutes(self, slugs: Iterable[str]) -> int:
        return sum(self.cost[slug] for slug in slugs)

    def closure_minutes(self, slug: str, *, without: set[str], limit: int) -> int | None:
        """Minutes of `slug` with its prerequisites outside `without`; None once over `limit`.

        Bounded, so asking about a topic with a closure of 100k concepts costs
        only as much walking as the answer needs.
        """
        found = {slug}
        stack = [slug]
        total = self.cost[slug]
        while stack:
            if total > limit:
                return None
            for prerequisite in self.prerequisites[stack.pop()]:
                if prerequisite not in found and prerequisite not in without:
                    found.add(prerequisite)
                    total += self.cost[prerequisite]
                    stack.append(prerequisite)
        return total if total <= limit else None


def needed_subgraph(graph: nx.DiGraph, request: PlanRequest) -> Needed:
    """The targets not known, their prerequisites not known, and the edges between them."""
    kinds = edge_kinds(request)
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
    ordered_targets = [slug for slug in order if slug in targets]
    return Needed(
        order=order,
        prerequisites=prerequisites,
        dependents=dependents,
        cost={slug: remaining_minutes(graph, request, slug) for slug in order},
        value={s: target_value(nodes[s], request.relevance[s]) for s in ordered_targets},
        tier={slug: tier_index(request.relevance[slug]) for slug in ordered_targets},
    )


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


def _greedy_tier(needed: Needed, tier: int, kept: set[str], budget: int) -> set[str]:
    """Add the tier's targets by value per marginal minute, recomputed after every pick."""
    kept = set(kept)
    left = budget - needed.minutes(kept)
    candidates = [slug for slug in needed.targets_of(tier) if slug not in kept]
    while candidates:
        best: tuple[tuple[float, float, int], str, set[str], int] | None = None
        for index, slug in enumerate(candidates):
            closure, cost = _missing(needed, slug, kept, left)
            if closure is None:
                continue
            key = (needed.value[slug] / cost, needed.value[slug], -index)
            if best is None or key > best[0]:
                best = (key, slug, closure, cost)
        if best is None:
            break
        _, slug, closure, cost = best
        kept |= closure
        left -= cost
        candidates = [other for other in candidates if other not in kept]
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


def exact_select(
    needed: Needed,
    budget: int,
    *,
    node_limit: int = SOLVER_NODE_LIMIT,
    start: set[str] | None = None,
    held_tiers: int = 0,
) -> tuple[set[str], bool] | None:
    """The lexicographic optimum as 0-1 programs; (kept, proven optimal), None without a solver.

    Variables x[c] = 1 when concept c is learned; x[c] <= x[p] for every edge
    p -> c; the learned minutes fit the budget. Tier by tier, maximise the
    value of learned targets with the higher tiers held at their optimum.
    `start` (the greedy's answer, closed and within budget) is the answer kept
    if a solve fails, and a tier it already learns whole needs no solve at all; neither do the
    first `held_tiers` tiers, whose values in `start` the caller knows optimal.
    """
    try:
        import highspy
    except ImportError:  # the greedy alone then
        return None
    index = {slug: i for i, slug in enumerate(needed.order)}
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
    for slug in needed.order:
        for prerequisite in needed.prerequisites[slug]:
            add_row({index[slug]: 1.0, index[prerequisite]: -1.0}, -inf, 0.0)
    add_row({index[s]: float(needed.cost[s]) for s in needed.order}, -inf, float(budget))
    lp.num_row_ = len(lower)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = starts, rows, values
    highs.passModel(lp)

    proven = True
    solution = [1.0 if slug in start else 0.0 for slug in needed.order] if start else None
    objectives = [
        {index[s]: needed.value[s] for s in needed.targets_of(tier)} for tier in range(len(TIERS))
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
        return set(), proven
    chosen = {slug for slug in needed.order if solution[index[slug]] > 0.5}
    return needed.closure(t for t in needed.tier if t in chosen), proven


# --- selection, the cut list and what is learned toward a cut target ------------------------


@dataclass
class Selection:
    kept: set[str]
    budget: int
    exact: bool
    cuts: list[Cut] = field(default_factory=list)
    toward: dict[str, str] = field(default_factory=dict)  # prerequisite -> cut target


@dataclass
class ProvenOptima:
    """Optima already proven for one plan's needs, at the budgets tried so far.

    A plan is selected several times on nearby budgets (sessions lose minutes,
    idle buffers are offered back). The optimum at a budget B is still optimal
    at any smaller budget that holds it, and its tier values bound every smaller
    budget from above, so most repeats need no solver run at all.
    """

    found: list[tuple[int, frozenset[str], tuple[float, ...]]] = field(default_factory=list)

    def holding(self, needed: Needed, budget: int) -> set[str] | None:
        """A proven optimum at a budget >= `budget` whose minutes fit `budget`."""
        for at, kept, _ in self.found:
            if at >= budget and needed.minutes(kept) <= budget:
                return set(kept)
        return None

    def reached_by(self, needed: Needed, budget: int, kept: set[str]) -> bool:
        """Does `kept` reach the proven optimum of some budget >= `budget` (so it is optimal)?"""
        values = tier_values(needed, kept)
        return any(at >= budget and values == best for at, _, best in self.found)

    def add(self, needed: Needed, budget: int, kept: set[str]) -> None:
        self.found.append((budget, frozenset(kept), tier_values(needed, kept)))

    def held_prefix(self, needed: Needed, budget: int) -> tuple[int, set[str]]:
        """The most leading tiers known optimal at `budget`, and what learns them.

        The optimum at a budget B >= `budget` bounds every tier's value here
        (given the tiers above at theirs). When the closure of its core topics
        fits `budget`, the core value is optimal here too; when its core and
        important topics fit, both are; and so on. Those tiers need no solve.
        """
        best: tuple[int, set[str]] = (0, set())
        for at, kept, _ in self.found:
            if at < budget:
                continue
            for tier in range(len(TIERS), best[0], -1):
                part = needed.closure(t for t in kept if needed.tier.get(t, tier) < tier)
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
    if needed.minutes(needed.order) <= budget:
        return Selection(set(needed.order), budget, exact=True)
    proven = proven if proven is not None else ProvenOptima()
    kept = proven.holding(needed, budget)
    exact = kept is not None
    if kept is None:
        held, part = proven.held_prefix(needed, budget)
        kept = greedy_select(needed, budget, start=part, first_tier=held)
        exact = proven.reached_by(needed, budget, kept)
        if not exact and len(needed.order) <= EXACT_MAX_CONCEPTS:
            solved = exact_select(needed, budget, start=kept, held_tiers=held)
            if solved is not None:
                candidate, exact = solved
                if not _better(needed, kept, candidate):
                    kept = candidate
        if exact:
            proven.add(needed, budget, kept)
    selection = Selection(kept, budget, exact)
    selection.cuts = cut_list(needed, kept, budget, graph)
    selection.toward = toward_cut_targets(needed, selection, budget)
    selection.cuts = [cut for cut in selection.cuts if cut.concept not in selection.toward]
    return selection


def hours_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d}"


def _tier_names(tier: int) -> str:
    """'the other core', 'the core and other important', 'the core, important and other useful'."""
    names = [t.name for t in TIERS[:tier]] + [f"other {TIERS[tier].name}"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


CUT_TOPICS_NAMED = 10  # cut topics a cut prerequisite records as the ones it was for


def cut_list(needed: Needed, kept: set[str], budget: int, graph: nx.DiGraph) -> list[Cut]:
    """Cut targets by tier with reasons in numbers; then prerequisites no kept target needs.

    A topic's minutes are counted up to ten times the budget (and at least 100 h):
    beyond that the reason says "more than", which is all a reader needs, and a
    graph of 100k concepts is not walked once per cut topic.
    """
    cuts: list[Cut] = []
    position = {slug: index for index, slug in enumerate(needed.order)}
    limit = max(10 * budget, 6000)
    for tier in range(len(TIERS)):
        above = {t for t, level in needed.tier.items() if level <= tier and t in kept}
        served = needed.closure(above)
        left = max(budget - needed.minutes(served), 0)
        names = _tier_names(tier)
        cut_here = [t for t in needed.targets_of(tier) if t not in kept]
        cut_here.sort(key=lambda t: (-needed.value[t], position[t]))
        for slug in cut_here:
            minutes = needed.closure_minutes(slug, without=served, limit=limit)
            amount = (
                hours_text(minutes) if minutes is not None else f"more than {hours_text(limit)}"
            )
            title = graph.nodes[slug].get("title", slug)
            reason = (
                f"{title}: {TIERS[tier].name} topic, {amount} with the prerequisites it "
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
    leads_to = _cut_topics_needing(needed, kept, [cut.concept for cut in cuts])
    for slug in needed.order:
        if slug in kept or slug in needed.tier:
            continue
        targets = leads_to.get(slug, [])
        names = ", ".join(graph.nodes[t].get("title", t) for t in targets[:3])
        more = ", ..." if len(targets) > 3 else ""
        cuts.append(
            Cut(
                slug,
                f"a prerequisite only of cut topics: {names}{more}",
                0.0,
                needed.cost[slug],
                targets=tuple(targets),
            )
        )
    return cuts


def _cut_topics_needing(
    needed: Needed, kept: set[str], cut_targets: list[str]
) -> dict[str, list[str]]:
    """For each concept outside `kept`: up to CUT_TOPICS_NAMED cut topics that rest on it.

    One pass from dependents to prerequisites, merging short lists, instead of
    one closure per cut topic.
    """
    rank = {slug: index for index, slug in enumerate(cut_targets)}
    leads_to: dict[str, list[str]] = {slug: [slug] for slug in cut_targets}
    for slug in reversed(needed.order):
        found = leads_to.get(slug)
        if not found or slug in kept:
            continue
        for prerequisite in needed.prerequisites[slug]:
            if prerequisite in kept:
                continue
            merged = leads_to.setdefault(prerequisite, [])
            for target in found:
                if len(merged) >= CUT_TOPICS_NAMED:
                    break
                if target not in merged:
                    merged.append(target)
            merged.sort(key=rank.__getitem__)
    return leads_to


def toward_cut_targets(needed: Needed, selection: Selection, budget: int) -> dict[str, str]:
    """Spend the learning time left on the prerequisites of the most valuable cut targets.

    In learning order, each prerequisite whose own prerequisites are learned
    or taken already and that still fits; the target itself never fits (or
    selection would have kept it). Labelled "toward <target>" in the plan.
    """
    kept = selection.kept
    left = budget - needed.minutes(kept)
    toward: dict[str, str] = {}
    position = {slug: index for index, slug in enumerate(needed.order)}
    topics = [cut for cut in selection.cuts if cut.tier is not None][:TOWARD_TOPICS]
    for cut in topics:
        if left <= 0:
            break
        missing = needed.closure([cut.concept], without=kept) - {cut.concept}
        for slug in sorted(missing, key=position.__getitem__):
            if slug in toward or needed.cost[slug] > left:
                continue
            if all(p in kept or p in toward for p in needed.prerequisites[slug]):
                toward[slug] = cut.concept
                left -= needed.cost[slug]
    return toward
