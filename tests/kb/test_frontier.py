"""kb.frontier: what can be learned next, on tiny hand-built graphs and random DAGs.

(Pure kb code written for /graph/next; it lives here with the API's tests.)
"""

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import frontier
from kb.dag import REQUIRED, assign_positions, known_closure, target_value
from kb.errors import UnknownConcept
from tests.graphs import dag


def slugs(steps: list[frontier.NextStep]) -> list[str]:
    return [step.slug for step in steps]


def test_with_nothing_known_the_roots_are_next():
    graph = dag("a>b", "b>c", "x>c")
    assert frontier.frontier(graph, set()) == ["a", "x"]


def test_a_concept_is_next_once_all_its_required_prerequisites_are_known():
    graph = dag("a>c", "b>c", "c>d")
    assert "c" not in frontier.frontier(graph, known_closure(graph, ["a"]))
    assert "c" in frontier.frontier(graph, known_closure(graph, ["a", "b"]))


def test_knowing_a_concept_implies_its_required_prerequisites():
    graph = dag("a>b", "b>c", "c>d")
    assert frontier.frontier(graph, known_closure(graph, ["c"])) == ["d"]


def test_recommended_prerequisites_never_block_a_concept():
    graph = dag("a>c", recommended=("r>c",))
    assert frontier.frontier(graph, known_closure(graph, ["a"])) == ["r", "c"]  # learning order


def test_without_a_track_what_unlocks_more_ranks_first():
    # a unlocks b, which unlocks c; x unlocks nothing.
    graph = dag("a>b", "b>c", "x>y")
    steps = frontier.next_steps(graph, [])
    assert slugs(steps) == ["a", "x"]
    assert steps[0].value == pytest.approx(1 + 0.5 * (1 + 0.5 * 1))
    assert steps[1].value == pytest.approx(1 + 0.5 * 1)
    assert [step.unlocks for step in steps] == [1, 1]


def test_a_tracks_weights_rank_the_frontier():
    graph = dag("a>t", "b>u")
    steps = frontier.next_steps(graph, [], relevance={"u": 1.0, "t": 0.2})
    assert slugs(steps) == ["b", "a"]
    assert steps[0].value == pytest.approx(0.5)
    assert steps[0].relevance == 0.0


def test_value_is_split_among_the_unknown_prerequisites_of_what_is_unlocked():
    graph = dag("a>t", "b>t")
    both_unknown = frontier.next_steps(graph, [], relevance={"t": 1.0})
    assert [step.value for step in both_unknown] == [0.25, 0.25]
    one_known = frontier.next_steps(graph, ["a"], relevance={"t": 1.0})
    assert [(s.slug, s.value) for s in one_known] == [("b", 0.5)]


def test_ties_keep_learning_order_and_limit_cuts_the_tail():
    graph = dag("a>z", "b>z", "c>z")
    assert slugs(frontier.next_steps(graph, [], relevance={}, limit=2)) == ["a", "b"]


def test_an_unknown_known_concept_is_named():
    with pytest.raises(UnknownConcept, match="known: unknown concept 'ghost'"):
        frontier.next_steps(dag("a>b"), ["ghost"])


@st.composite
def random_dags(draw) -> nx.DiGraph:
    size = draw(st.integers(2, 12))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=30)
    )
    kinds = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    required = [f"n{a}>n{b}" for (a, b), req in zip(pairs, kinds, strict=True) if a < b and req]
    recommended = tuple(
        f"n{a}>n{b}" for (a, b), req in zip(pairs, kinds, strict=True) if a < b and not req
    )
    graph = dag(*required, recommended=recommended)
    for index in range(size):
        if f"n{index}" not in graph:
            graph.add_node(f"n{index}", title="", area="math", hours=1.0, aliases=(), stages=())
    assign_positions(graph)
    return graph


@settings(max_examples=60, deadline=None)
@given(graph=random_dags(), data=st.data())
def test_the_frontier_is_exactly_what_is_unknown_and_unblocked(graph, data):
    known = data.draw(st.lists(st.sampled_from(sorted(graph)), unique=True, max_size=4))
    closure = known_closure(graph, known)
    ready = set(frontier.frontier(graph, closure))
    for slug in graph:
        required = {p for p, attrs in graph.pred[slug].items() if attrs["kind"] == REQUIRED}
        expected = slug not in closure and required <= closure
        assert (slug in ready) == expected
    steps = frontier.next_steps(graph, known)
    assert {step.slug for step in steps} == ready
    assert [step.value for step in steps] == sorted((s.value for s in steps), reverse=True)


@pytest.mark.parametrize(
    ("attrs", "relevance", "expected"),
    [
        ({"area": "nlp", "hours": 6.0, "stages": ("ml-concepts",)}, 0.9, 0.81),  # knowledge
        ({"area": "interviewing", "hours": 6.0, "stages": ("research-talk",)}, 0.9, 2.43),
        ({"area": "interviewing", "hours": 3.0, "stages": ("behavioral",)}, 1.0, 1.5),
        ({"area": "interviewing", "hours": 1.0, "stages": ("behavioral",)}, 1.0, 1.0),  # floor
        ({"area": "interviewing", "hours": 12.0, "stages": ("research-talk",)}, 1.0, 3.0),  # cap
        # Coding drills: knowledge topics and mocks prepare those rounds too; one topic.
        ({"area": "interviewing", "hours": 12.0, "stages": ("ml-coding",)}, 1.0, 1.0),
        # Asked in two stages: general preparation, valued as a topic.
        ({"area": "interviewing", "hours": 2.0, "stages": ("behavioral", "hiring-manager")}, 1, 1),
        ({"area": "interviewing", "hours": None, "stages": ("research-talk",)}, 0.5, 0.25),
    ],
)
def test_rehearsing_the_candidates_own_work_is_worth_one_topic_per_two_hours_up_to_three(
    attrs, relevance, expected
):
    assert target_value(attrs, relevance) == pytest.approx(expected)
