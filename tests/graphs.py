"""Hand-built concept graphs for tests of the pure graph code (no database)."""

import networkx as nx

from kb.dag import assign_positions


def dag(*required: str, recommended: tuple[str, ...] = (), hours: dict | None = None) -> nx.DiGraph:
    """dag("a>b", "b>c", recommended=("x>c",)) with the node attributes kb.graph gives.

    A slug in `hours` that no edge names is an isolated concept.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(hours or {})
    for specs, kind in ((required, "required"), (recommended, "recommended")):
        for spec in specs:
            source, target = spec.split(">")
            graph.add_edge(source, target, kind=kind)
    for slug in graph.nodes:
        graph.nodes[slug].update(
            title=slug.upper(),
            area="fundamentals",
            hours=(hours or {}).get(slug, 1.0),
            aliases=(),
            stages=(),
        )
    assign_positions(graph)
    return graph
