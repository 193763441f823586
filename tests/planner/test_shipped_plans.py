"""Plans on the shipped graph read right to an ML interviewer: known answers a candidate checks."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from kb import io
from planner import services
from planner.services import PlanInputs

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"
MONDAY = date(2026, 11, 30)
WEEKDAYS_2_WEEKENDS_4 = (2, 2, 2, 2, 2, 4, 4)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db):
    io.import_text(FIXTURE.read_bytes())


def planned(**inputs):
    _, schedule = services.preview_plan(
        PlanInputs(start=MONDAY, hours_per_weekday=WEEKDAYS_2_WEEKENDS_4, **inputs), today=MONDAY
    )
    items = [item for _, item in schedule.items()]
    learned = {i.concept for i in items if i.kind == "learn"}
    refreshed = {i.concept for i in items if i.kind == "review" and i.note.startswith("shaky")}
    return schedule.summary, learned, refreshed


def test_a_transformer_target_in_four_weeks_is_reached_with_its_prerequisites(shipped):
    summary, learned, _ = planned(
        targets=("transformer-architecture",),
        known=("python-for-ml",),
        interview=MONDAY + timedelta(days=28),
    )
    assert "transformer-architecture" in learned
    assert summary.coverage == 1.0 and summary.cut == []


def test_an_llm_research_plan_for_an_ml_engineer_reaches_attention_and_the_transformer(shipped):
    # Seven weeks: the core of an LLM pre-training loop for an ML engineer (compute and
    # memory arithmetic, scaling, attention internals, the job talk, coding practice) is
    # more than three weeks at 2 h on weekdays and 4 h at weekends leave for learning.
    summary, learned, refreshed = planned(
        team="llm-research", background="ml-engineer", interview=MONDAY + timedelta(days=49)
    )
    for concept in ("self-attention", "transformer-architecture"):
        assert concept in learned | refreshed, concept
    core = next(tier for tier in summary.tiers if tier.name == "core")
    assert core.learned == core.targets  # every core topic of the team
    assert summary.exact


def test_three_days_before_a_vision_interview_an_ml_engineer_studies_vision(shipped):
    from kb import graph as kb_graph

    summary, learned, _ = planned(
        team="vision-perception", background="ml-engineer", interview=MONDAY + timedelta(days=3)
    )
    areas = {kb_graph.current_graph().nodes[slug]["area"] for slug in learned}
    assert "cv" in areas
    assert summary.tiers[0].learned >= 1


def test_cut_topics_lead_the_cut_list_by_tier_with_the_json_numbers(shipped):
    summary, _, _ = planned(team="ads-ranking", interview=MONDAY + timedelta(days=14))
    topics = [cut for cut in summary.cut if cut.tier]
    prerequisites = [cut for cut in summary.cut if not cut.tier]
    assert summary.cut[: len(topics)] == topics and prerequisites
    order = {"core": 0, "important": 1, "useful": 2}
    assert [order[c.tier] for c in topics] == sorted(order[c.tier] for c in topics)
    for cut in topics:
        assert cut.minutes > cut.left_minutes  # it did not fit in what was left


def test_a_proven_selection_is_the_optimum_an_unseeded_solve_finds(shipped):
    # An LLM post-training plan of three weeks: HiGHS once handed back its MIP start (the
    # greedy's core value, 5.82) with the objective of a better solution (6.82), and the
    # plan kept a project deep dive over the job talk's structure while calling it optimal.
    from kb import graph as kb_graph
    from planner import core, selection

    inputs = PlanInputs(
        start=MONDAY,
        hours_per_weekday=WEEKDAYS_2_WEEKENDS_4,
        team="llm-post-training",
        interview=MONDAY + timedelta(days=21),
    )
    resolved, schedule = services.preview_plan(inputs, today=MONDAY)
    summary = schedule.summary
    assert summary.exact
    needed = selection.needed_subgraph(
        kb_graph.current_graph(), resolved.request, core.plan_minutes(resolved.request)
    )
    budget = summary.learning_budget
    forced = selection.must_learn(needed, budget)  # the team's must-haves, the rounds' groundwork
    optimum, proven = selection.exact_select(needed, budget, forced=forced)
    assert proven
    learned = set(summary.learned)
    assert selection.tier_values(needed, learned) == selection.tier_values(needed, optimum)


def test_a_three_week_research_plan_structures_the_job_talk(shipped):
    # The quickstart's plan: a research loop's job talk is a whole round; counted as one
    # topic, its six hours of structure lost to any three small topics and it was cut.
    summary, learned, _ = planned(
        team="llm-research", background="ml-engineer", interview=MONDAY + timedelta(days=21)
    )
    assert {"job-talk-structure", "explaining-your-research"} <= learned
    assert {"transformer-flops-accounting", "training-memory-accounting"} <= learned
    assert summary.exact
