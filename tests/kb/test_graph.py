import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import graph as kb_graph
from kb.errors import NoPath, PrerequisiteCycle, UnknownConcept
from tests.graphs import dag
from tests.kb.factories import make_concepts, make_edges

# Calculus and linear algebra feed backprop; backprop and softmax feed attention.
ML = dag(
    "calculus>backprop",
    "linalg>backprop",
    "linalg>attention",
    "backprop>attention",
    "softmax>attention",
    "attention>transformer",
    "layernorm>transformer",
    recommended=("rnn>transformer", "backprop>rnn"),
)


def test_direct_prerequisites_are_one_hop_in_learning_order():
    assert kb_graph.prerequisites(ML, "attention", depth=1) == {
        "backprop": 1,
        "linalg": 1,
        "softmax": 1,
    }


def test_transitive_prerequisites_carry_their_distance():
    assert kb_graph.prerequisites(ML, "transformer", include_recommended=False) == {
        "calculus": 3,
        "linalg": 2,
        "backprop": 2,
        "layernorm": 1,
        "softmax": 2,
        "attention": 1,
    }


def test_recommended_edges_count_only_when_asked():
    with_recommended = kb_graph.prerequisites(ML, "transformer", depth=1)
    without = kb_graph.prerequisites(ML, "transformer", depth=1, include_recommended=False)
    assert "rnn" in with_recommended
    assert "rnn" not in without


def test_dependents_are_transitive_and_ordered():
    found = list(kb_graph.dependents(ML, "backprop"))
    assert sorted(found) == ["attention", "rnn", "transformer"]
    assert found[-1] == "transformer"
    assert kb_graph.dependents(ML, "backprop", depth=1) == {"attention": 1, "rnn": 1}


def test_learning_order_puts_prerequisites_first_and_skips_known():
    order = kb_graph.learning_order(ML, ["transformer"], known=["backprop"])
    # Knowing backprop means knowing calculus and linalg too, though attention needs linalg.
    assert order == ["layernorm", "softmax", "attention", "transformer"]


def test_learning_order_treats_required_prerequisites_of_known_concepts_as_known():
    order = kb_graph.learning_order(ML, ["transformer"], known=["attention"])
    assert order == ["layernorm", "transformer"]


def test_learning_order_of_a_known_target_is_empty():
    assert kb_graph.learning_order(ML, ["attention"], known=["transformer"]) == []


def test_learning_order_can_include_recommended_prerequisites():
    order = kb_graph.learning_order(ML, ["transformer"], include_recommended=True)
    assert order.index("rnn") < order.index("transformer")
    assert order.index("backprop") < order.index("rnn")


def test_learning_order_names_every_unknown_slug_and_the_field():
    with pytest.raises(UnknownConcept) as error:
        kb_graph.learning_order(ML, ["transformer", "nope"], known=["zilch"])
    assert error.value.message == "targets: unknown concept 'nope'"
    with pytest.raises(UnknownConcept, match="known: unknown concepts 'a', 'b'"):
        kb_graph.learning_order(ML, ["transformer"], known=["a", "b"])


def test_shortest_chain_follows_edges_from_prerequisite_up():
    assert kb_graph.shortest_chain(ML, "calculus", "transformer") == [
        "calculus",
        "backprop",
        "attention",
        "transformer",
    ]


def test_shortest_chain_prefers_the_fewest_hops():
    graph = dag("a>b", "b>c", "c>d", "a>d")
    assert kb_graph.shortest_chain(graph, "a", "d") == ["a", "d"]


def test_shortest_chain_against_the_edges_is_no_path():
    with pytest.raises(
        NoPath, match="no prerequisite chain leads from 'transformer' to 'calculus'"
    ):
        kb_graph.shortest_chain(ML, "transformer", "calculus")


def test_shortest_chain_can_ignore_recommended_edges():
    graph = dag("a>b", recommended=("b>c",))
    assert kb_graph.shortest_chain(graph, "a", "c") == ["a", "b", "c"]
    with pytest.raises(NoPath):
        kb_graph.shortest_chain(graph, "a", "c", include_recommended=False)


def test_neighbourhood_goes_both_ways_to_the_depth():
    around = kb_graph.neighbourhood(ML, "backprop", depth=1)
    assert set(around.nodes) == {"backprop", "calculus", "linalg", "attention", "rnn"}
    assert around.has_edge("linalg", "attention")  # edges among the kept nodes stay
    assert set(kb_graph.neighbourhood(ML, "backprop", depth=0).nodes) == {"backprop"}


def test_assign_positions_names_a_cycle():
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(PrerequisiteCycle) as error:
        kb_graph.assign_positions(graph)
    cycle = error.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_all_cycles_reports_each_knot_once():
    graph = nx.DiGraph([("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c"), ("x", "y")])
    cycles = kb_graph.all_cycles(graph)
    assert len(cycles) == 2
    assert {frozenset(c) for c in cycles} == {frozenset("ab"), frozenset("cde")}


@st.composite
def random_dags(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=60)) if pairs else []
    # Shuffle names so node order says nothing about the topological order.
    names = draw(st.permutations([f"n{i:02d}" for i in range(size)]))
    graph = dag(*(f"{names[a]}>{names[b]}" for a, b in edges))
    graph.add_nodes_from(
        (name, {"title": name, "area": "math", "hours": 1.0, "aliases": (), "stages": ()})
        for name in names
    )
    kb_graph.assign_positions(graph)
    targets = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    known = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
    return graph, targets, known


@settings(max_examples=150, deadline=None)
@given(random_dags())
def test_learning_order_properties_on_random_dags(case):
    graph, targets, known = case
    order = kb_graph.learning_order(graph, targets, known=known)
    known_all = set(known).union(*(nx.ancestors(graph, k) for k in known))
    # No duplicates, nothing known.
    assert len(order) == len(set(order))
    assert not set(order) & known_all
    # Every target not known is there, with all its prerequisites before it.
    placed = {slug: i for i, slug in enumerate(order)}
    for target in targets:
        assert target in placed or target in known_all
    for slug in order:
        for prerequisite in graph.predecessors(slug):
            assert prerequisite in known_all or placed[prerequisite] < placed[slug]
    # Nothing beyond what the targets need.
    needed = set()
    for target in targets:
        needed |= {target} | nx.ancestors(graph, target)
    assert set(order) <= needed
    # Deterministic.
    assert order == kb_graph.learning_order(graph, list(reversed(targets)), known=known)


@pytest.mark.django_db
def test_current_graph_builds_in_a_constant_number_of_queries(django_assert_num_queries):
    make_edges("a>b", "b>c")
    kb_graph.current_graph()
    kb_graph.clear_cache()
    make_edges(*(f"x{i}>y{i}" for i in range(60)))
    kb_graph.clear_cache()
    # revision token + concepts + stage links + edges, whatever the size
    with django_assert_num_queries(4):
        graph = kb_graph.current_graph()
    assert graph.number_of_nodes() == 123
    assert graph.nodes["b"]["position"] < graph.nodes["c"]["position"]


@pytest.mark.django_db
def test_current_graph_is_cached_until_a_write(django_assert_num_queries):
    make_edges("a>b")
    first = kb_graph.current_graph()
    with django_assert_num_queries(1):
        assert kb_graph.current_graph() is first
    make_edges("b>c")
    second = kb_graph.current_graph()
    assert second is not first
    assert second.has_edge("b", "c")


@pytest.mark.django_db
def test_any_kb_write_invalidates_the_cached_graph():
    concepts = make_concepts("a")
    kb_graph.current_graph()
    concepts["a"].title = "Renamed"
    concepts["a"].save()
    assert kb_graph.current_graph().nodes["a"]["title"] == "Renamed"


@pytest.mark.django_db
def test_cached_graph_is_frozen():
    make_edges("a>b")
    with pytest.raises(nx.NetworkXError):
        kb_graph.current_graph().add_edge("b", "a")
