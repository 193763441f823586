"""How the planner core scales: plan over a synthetic 100k-concept graph.

Run:  .venv/bin/python bench/planner_scale.py [--nodes 100000] [--edges 500000]

Prints wall times and each as a ratio to a baseline measured in the same run on
the same graph (one networkx topological sort), so the numbers compare across
machines. No Django needed: planner.core is pure.
"""

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.dag import assign_positions
from planner.core import MockStage, PlanRequest, build_schedule


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


def timed(label: str, fn, baseline: float | None = None):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    ratio = f"  ({elapsed / baseline:6.2f}x baseline)" if baseline else ""
    print(f"{label:<48} {elapsed * 1000:9.1f} ms{ratio}")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    graph, _ = timed(
        f"build graph ({args.nodes} nodes, {args.edges} edges)",
        lambda: synthetic_graph(args.nodes, args.edges, args.seed),
    )
    _, baseline = timed(
        "baseline: nx.topological_sort (list)", lambda: list(nx.topological_sort(graph))
    )
    timed("assign_positions (lexicographic topo order)", lambda: assign_positions(graph), baseline)
    rng = random.Random(args.seed)
    nodes = list(graph.nodes)
    start = date(2026, 12, 1)
    for label, hours, days in [
        ("tight: 2 h/day for 3 weeks", 2, 21),
        ("roomy: 8 h/day for 1 year", 8, 365),
    ]:
        request = PlanRequest(
            start=start,
            interview=start + timedelta(days=days),
            minutes_by_weekday=(hours * 60,) * 7,
            relevance={
                slug: rng.choice([0.2, 0.5, 1.0]) for slug in rng.sample(nodes, args.targets)
            },
            known=frozenset(rng.sample(nodes[: args.nodes // 10], 50)),
            mocks=(
                MockStage("ml-coding", "ML coding", 45),
                MockStage("ml-concepts", "ML concepts", 45),
            ),
        )
        schedule, _ = timed(
            f"build_schedule, {label}", lambda r=request: build_schedule(graph, r), baseline
        )
        s = schedule.summary
        print(
            f"    needed {s.needed_minutes / 60:.0f} h, learned {len(s.learned)}, "
            f"cut {len(s.cut)}, coverage {s.coverage:.1%}"
        )


if __name__ == "__main__":
    main()
