"""How the planner core scales: plans over a synthetic 100k-concept graph, against nx.ancestors.

Run:  .venv/bin/python bench/planner_scale.py [--nodes 100000] [--edges 500000] [--quick]

The graph is a random DAG shaped like a knowledge graph (mostly local
prerequisites), so the concept last in learning order rests on nearly all the
others: a "deep" target. The same run measures, on the same graph:

- the baseline, `nx.ancestors` of the target(s): one walk over what they rest
  on. For 300 targets, the ancestors of a sink node they all lead to (added for
  that measurement only), i.e. the union of their ancestors in one walk;
- `build_schedule` for the one deep target and for 300 random targets (8 weeks
  at 3 h a day, two mocks), on the graph frozen (`nx.freeze`) as kb.graph
  caches it per process.

Each time is the best of a few runs, timed as `timeit` does: the garbage
collector is run before and paused during each call, for the baseline and the
planner alike, since a full collection costs in proportion to everything the
process holds (here the graph: about 2x one nx.ancestors walk), not to the
code timed. With the collector running a plan may pay one such collection;
that time is printed too ("with the GC running"),
and so is the first plan on a freshly loaded graph, which fills what the
planner keeps per frozen graph (each concept's prerequisites and dependents by
edge kind, its minutes, the learning order of all concepts: kb.dag.graph_memo).

Each planner time is printed as a ratio to its baseline, which compares
across machines where milliseconds do not; the issue's target is a ratio of
at most 3. No Django needed: planner.core is pure. `figures(quick)` is what
`python -m bench` collects (quick: a 10k-concept graph).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.dag import assign_positions
from planner.core import MockStage, PlanRequest, build_schedule

START = date(2026, 12, 1)
MANY_TARGETS = 300
REPEATS = 3
TARGET_RATIO = 3.0
SINK = "__all_targets__"


def synthetic_graph(nodes: int, edges: int, seed: int) -> nx.DiGraph:
    """A random DAG shaped like a knowledge graph: edges point from lower to higher index."""
    rng = random.Random(seed)
    graph = nx.DiGraph()
    graph.add_nodes_from(
        (f"c{i:06d}", {"title": f"Concept {i}", "area": "x", "hours": rng.choice([0.5, 1, 2, 3])})
        for i in range(nodes)
    )
    added = 0
    while added < edges:
        b = rng.randrange(1, nodes)
        a = b - 1 - min(int(rng.expovariate(1 / 50)), b - 1)  # mostly local prerequisites
        if not graph.has_edge(f"c{a:06d}", f"c{b:06d}"):
            kind = "required" if rng.random() < 0.7 else "recommended"
            graph.add_edge(f"c{a:06d}", f"c{b:06d}", kind=kind)
            added += 1
    return graph


def timed(fn: Callable[[], Any], repeats: int = REPEATS, *, gc_paused: bool = True):
    """The result and the fastest of `repeats` wall times in seconds, timeit-style (the
    collector run before each call and paused during it) unless `gc_paused` is False."""
    result, best = None, float("inf")
    for _ in range(repeats):
        gc.collect()
        paused = gc_paused and gc.isenabled()
        if paused:
            gc.disable()
        try:
            started = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - started)
        finally:
            if paused:
                gc.enable()
    return result, best


def plan_request(relevance: dict[str, float], *, days: int = 56, hours: int = 3) -> PlanRequest:
    return PlanRequest(
        start=START,
        interview=START + timedelta(days=days),
        minutes_by_weekday=(hours * 60,) * 7,
        relevance=relevance,
        mocks=(
            MockStage("ml-coding", "ML coding", 45),
            MockStage("ml-concepts", "ML concepts", 45),
        ),
    )


def measure(nodes: int, edges: int, seed: int, *, extra: bool = False, log=print) -> list[dict]:
    """Build the graph, then time the baselines and the plans; one dict per case."""
    started = time.perf_counter()
    graph = synthetic_graph(nodes, edges, seed)
    assign_positions(graph)
    log(f"graph: {nodes} nodes, {edges} edges, built in {time.perf_counter() - started:.1f} s")
    order = sorted(graph, key=lambda slug: graph.nodes[slug]["position"])
    deep = order[-1]
    rng = random.Random(seed)
    many = rng.sample(order, MANY_TARGETS)
    relevance_many = {slug: rng.choice([0.2, 0.5, 1.0]) for slug in many}

    # Baselines, on the graph itself. Several targets: one walk from a sink they all lead to.
    ancestors_one, base_one = timed(lambda: nx.ancestors(graph, deep))
    graph.add_edges_from((slug, SINK) for slug in many)
    ancestors_many, base_many = timed(lambda: nx.ancestors(graph, SINK))
    graph.remove_node(SINK)
    nx.freeze(graph)  # as kb.graph.current_graph caches it

    cases = [
        ("one deep target", {deep: 1.0}, base_one, len(ancestors_one) + 1),
        (f"{MANY_TARGETS} targets", relevance_many, base_many, len(ancestors_many)),
    ]
    found = []
    for label, relevance, baseline, closure in cases:
        request = plan_request(relevance)
        # The first plan on the graph fills the planner's per-graph memo; later ones reuse it.
        _, first = timed(lambda r=request: build_schedule(graph, r), repeats=1)
        schedule, planner = timed(lambda r=request: build_schedule(graph, r))
        _, with_gc = timed(lambda r=request: build_schedule(graph, r), gc_paused=False)
        s = schedule.summary
        found.append(
            {
                "label": label,
                "closure": closure,
                "baseline": baseline,
                "planner": planner,
                "first": first,
                "with_gc": with_gc,
                "learned": len(s.learned),
                "cut": len(s.cut),
            }
        )
        log(
            f"{label}: nx.ancestors {baseline * 1000:.0f} ms ({closure} concepts); "
            f"build_schedule {planner * 1000:.0f} ms = {planner / baseline:.2f}x "
            f"(learned {len(s.learned)}, cut {len(s.cut)})\n"
            f"    first plan on the graph {first * 1000:.0f} ms = {first / baseline:.2f}x; "
            f"with the GC running {with_gc * 1000:.0f} ms = {with_gc / baseline:.2f}x"
        )
        if extra:
            for name, days, hours in [("3 weeks at 2 h/day", 21, 2), ("a year at 8 h/day", 365, 8)]:
                other = plan_request(relevance, days=days, hours=hours)
                _, elapsed = timed(lambda r=other: build_schedule(graph, r), repeats=1)
                log(f"    {name}: {elapsed * 1000:.0f} ms = {elapsed / baseline:.2f}x")
    return found


def figures(quick: bool) -> list[dict]:
    """The planner against nx.ancestors, one deep target and 300 targets (quick: 10k nodes)."""
    from bench.figures import figure

    nodes = 10_000 if quick else 100_000
    found = measure(nodes, 5 * nodes, 7, log=lambda line: print(line, file=sys.stderr))
    # The target is for the 100k graph: on 10k concepts the per-target work
    # (selection over 300 targets, their reasons) weighs more against a 10x shorter walk.
    target = None if quick else f"<= {TARGET_RATIO:g}"
    result = []
    for row in found:
        name = "planner_scale." + ("one_deep_target" if row["label"][0] == "o" else "targets_300")
        ratio = row["planner"] / row["baseline"]
        result.append(
            figure(
                name,
                row["planner"] * 1000,
                "ms",
                baseline=row["baseline"] * 1000,
                target=target,
                met=None if quick else ratio <= TARGET_RATIO,
                note=f"build_schedule, {row['label']} on a {nodes}-concept synthetic DAG "
                f"({row['closure']} concepts needed; 8 weeks at 3 h/day; best of {REPEATS}, "
                "GC paused as timeit does); baseline: nx.ancestors of the same targets, "
                "timed alike; "
                + (
                    "the issue's target (a ratio of at most 3) is for the 100k graph"
                    if quick
                    else "the target is on the ratio"
                ),
            )
        )
        result.append(
            figure(
                name + ".gc_running",
                row["with_gc"] * 1000,
                "ms",
                baseline=row["baseline"] * 1000,
                note="the same with the garbage collector running: a full collection "
                "traverses the whole graph",
            )
        )
        result.append(
            figure(
                name + ".first_plan",
                row["first"] * 1000,
                "ms",
                baseline=row["baseline"] * 1000,
                note="the first plan on a freshly loaded graph, which fills the planner's "
                "per-graph memo (prerequisites, dependents, minutes, order)",
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=None, help="default: 5 per node")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10k nodes, 50k edges")
    args = parser.parse_args()
    nodes = 10_000 if args.quick else args.nodes
    measure(nodes, args.edges or 5 * nodes, args.seed, extra=True)


if __name__ == "__main__":
    main()
