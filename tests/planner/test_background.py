"""planner.background on a hand-built graph, and backgrounds through services and the CLI."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from kb.errors import UnknownConcept
from planner import services
from planner.background import NOTHING, Preset, assume, plan_scope
from planner.core import PlanInputError
from planner.models import Plan
from tests.graphs import dag

# la, calc: math; prob: statistics; gd, logreg: fundamentals; mlp, attn: deep-learning;
# tok, bert: nlp; conv: cv (outside what bert rests on).
GRAPH = dag(
    "calc>gd", "gd>logreg", "prob>logreg", "logreg>mlp", "la>mlp", "mlp>attn", "attn>bert",
    "tok>bert", "la>conv",
)  # fmt: skip
AREAS = {
    "la": "math", "calc": "math", "prob": "statistics", "gd": "fundamentals",
    "logreg": "fundamentals", "mlp": "deep-learning", "attn": "deep-learning", "tok": "nlp",
    "bert": "nlp", "conv": "cv",
}  # fmt: skip
for _slug, _area in AREAS.items():
    GRAPH.nodes[_slug]["area"] = _area
BERT_SCOPE = plan_scope(GRAPH, ["bert"])


def preset(**lists) -> Preset:
    return Preset(slug="dev", title="Dev", **{k: tuple(v) for k, v in lists.items()})


def test_nothing_given_assumes_nothing():
    assert assume(GRAPH) == NOTHING
    assert NOTHING.statement is None


def test_the_scope_is_the_targets_and_what_they_rest_on():
    assert plan_scope(GRAPH, ["bert"]) == {
        "la",
        "calc",
        "prob",
        "gd",
        "logreg",
        "mlp",
        "attn",
        "tok",
        "bert",
    }


def test_a_known_area_stands_for_every_concept_in_it():
    assumed = assume(GRAPH, known_areas=["math"])
    assert assumed.known == {"la", "calc"}
    assert assumed.shaky == frozenset()
    assert "Math (2)" in assumed.statement


def test_a_known_concept_brings_its_required_prerequisites():
    assumed = assume(GRAPH, preset=preset(known_concepts=["logreg"]))
    assert assumed.known == {"logreg", "gd", "calc", "prob"}


def test_shaky_wins_over_known_within_the_preset():
    assumed = assume(GRAPH, preset=preset(known_concepts=["logreg"], shaky_concepts=["gd"]))
    assert assumed.shaky == {"gd"}
    assert assumed.known == {"logreg", "calc", "prob"}  # gd being shaky still implies calc


def test_shaky_wins_over_known_within_what_the_candidate_says():
    assumed = assume(GRAPH, known=["mlp"], shaky=["gd"])
    assert "gd" in assumed.shaky and "gd" not in assumed.known
    assumed = assume(GRAPH, known=["bert"], shaky_areas=["nlp"], scope=BERT_SCOPE)
    assert assumed.shaky == {"tok", "bert"}


def test_the_candidate_known_concepts_overrule_the_preset_shaky_ones():
    rusty = preset(known_concepts=["la"], shaky_concepts=["gd", "attn"])
    assumed = assume(GRAPH, preset=rusty, known=["logreg"])  # logreg implies gd
    assert assumed.shaky == {"attn"}
    assert {"logreg", "gd"} <= assumed.known
    assumed = assume(GRAPH, preset=preset(shaky_areas=["math"]), known_areas=["math"])
    assert assumed.shaky == frozenset() and assumed.known == {"la", "calc"}


def test_a_refreshed_concept_is_not_refreshed_again_but_leaves_the_shaky_ones_under_it():
    """A replan after the refresher of bert: bert is done, attention (shaky in the preset,
    under bert) is still refreshed; learned, bert would have implied attention known."""
    rusty = preset(shaky_concepts=["attn", "bert"])
    refreshed = assume(GRAPH, preset=rusty, refreshed=["bert"], scope=BERT_SCOPE)
    assert refreshed.shaky == {"attn"}
    assert "bert" in refreshed.known
    assert "1 learned so far" in refreshed.statement
    learned = assume(GRAPH, preset=rusty, learned=["bert"], scope=BERT_SCOPE)
    assert learned.shaky == frozenset() and {"bert", "attn"} <= learned.known


def test_explicit_concepts_add_to_the_preset():
    assumed = assume(GRAPH, preset=preset(known_concepts=["la"]), known=["tok"], shaky=["prob"])
    assert assumed.known == {"la", "tok"}
    assert assumed.shaky == {"prob"}


def test_shaky_areas_are_reviewed_only_within_the_plan_scope():
    assumed = assume(GRAPH, preset=preset(shaky_areas=["cv", "math"]), scope=BERT_SCOPE)
    assert assumed.shaky == {"la", "calc"}
    assert "conv" in assumed.known  # outside the scope: known, so what it implies holds


def test_concepts_named_shaky_are_reviewed_even_outside_the_scope():
    assert assume(GRAPH, shaky=["conv"], scope=BERT_SCOPE).shaky == {"conv"}


def test_the_statement_says_where_the_assumptions_come_from_and_what_they_cover():
    assumed = assume(
        GRAPH,
        preset=preset(known_concepts=["logreg"], shaky_concepts=["gd"]),
        known_areas=["math"],
        known=["tok"],
        scope=BERT_SCOPE,
    )
    assert assumed.statement == (
        "Assumed known (Dev background, known areas math, 1 concept named): 5 of the 9 "
        "concepts this plan draws on, in Math (2), ML fundamentals (1), NLP (1), Statistics (1); "
        "shaky, so reviewed rather than learned (1): GD."
    )


def test_the_statement_names_a_few_shaky_concepts_and_counts_the_rest():
    assumed = assume(GRAPH, shaky_areas=list(set(AREAS.values())))
    assert assumed.statement.startswith("Assumed known (shaky areas ")
    assert ": 0 concepts; shaky, so reviewed rather than learned (10): " in assumed.statement
    assert assumed.statement.endswith(" and 2 more.")


def test_an_unknown_area_names_its_field_and_the_choices():
    with pytest.raises(PlanInputError, match=r"known_areas: unknown area 'maths'; one of: math,"):
        assume(GRAPH, known_areas=["maths"])
    with pytest.raises(PlanInputError) as error:
        assume(GRAPH, shaky_areas=["nlp", "vision"])
    assert error.value.field == "shaky_areas"


def test_an_unknown_concept_names_its_field():
    with pytest.raises(UnknownConcept, match="shaky: unknown concept 'ghost'"):
        assume(GRAPH, known=["la"], shaky=["ghost"])
    with pytest.raises(UnknownConcept, match="background: unknown concept 'ghost'"):
        assume(GRAPH, preset=preset(known_concepts=["ghost"]))


# --- through services and the CLI (tests/small_kb.py: the ml-engineer background) -------------

needs_db = pytest.mark.django_db


def _interview(days: int = 21) -> str:
    return (services.local_today("UTC") + timedelta(days=days)).isoformat()


def plan_json(*args: str) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "plan", "--team", "llm-research", "--interview", _interview(), "--format", "json",
        *args, stdout=out, stderr=err,
    )  # fmt: skip
    return json.loads(out.getvalue()), err.getvalue()


@needs_db
def test_the_cli_background_cuts_the_needed_minutes_and_the_summary_says_why(small_kb):
    plain, _ = plan_json()
    assumed, stderr = plan_json("--background", "ml-engineer")
    assert assumed["summary"]["needed_minutes"] < plain["summary"]["needed_minutes"]
    assert plain["summary"]["assumed"] is None
    statement = assumed["summary"]["assumed"]
    assert statement.startswith("Assumed known (ML engineer background): 2 of the ")
    assert "shaky, so reviewed rather than learned (1): Self attention." in statement
    assert stderr == ""  # JSON on stdout carries it; the table prints it in its headline
    learned = {i["concept"] for d in assumed["days"] for i in d["items"] if i["kind"] == "learn"}
    assert not learned & {"softmax", "linear-algebra", "self-attention"}


@needs_db
def test_the_cli_areas_add_to_the_background(small_kb):
    payload, _ = plan_json("--background", "ml-engineer", "--known-areas", "nlp")
    learned = {i["concept"] for d in payload["days"] for i in d["items"] if i["kind"] == "learn"}
    assert learned == {"k-means"}
    assert "known areas nlp" in payload["summary"]["assumed"]


@needs_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--background", "wizard"),
            "background: unknown background 'wizard'; one of: ml-engineer",
        ),
        (("--known-areas", "math,maths"), "known_areas: unknown area 'maths'; one of: math, "),
        (("--shaky-areas", "vision"), "shaky_areas: unknown area 'vision'; one of: math, "),
    ],
)
def test_the_cli_names_a_bad_background_or_area_and_saves_nothing(small_kb, args, message):
    get_user_model().objects.create_user(username="alice")
    with pytest.raises(CommandError, match=message):
        call_command(
            "plan", "--team", "llm-research", "--interview", _interview(), "--save", "--user",
            "alice", *args, stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    assert Plan.objects.count() == 0
    with pytest.raises(CommandError, match=message):
        plan_json(*args)


@needs_db
def test_a_stored_plan_keeps_the_statement_through_a_replan(small_kb):
    inputs = services.PlanInputs(
        team="llm-research",
        interview=services.local_today("UTC") + timedelta(days=21),
        background="ml-engineer",
        shaky_areas=("fundamentals",),
    )
    plan = services.create_plan(inputs=inputs)
    statement = plan.summary["assumed"]
    assert "ML engineer background, shaky areas fundamentals" in statement
    plan = services.replan(plan=plan)
    assert plan.summary["assumed"] == statement
    assert services.plan_inputs(plan).background == "ml-engineer"


@needs_db
def test_an_unknown_background_stores_nothing(small_kb):
    inputs = services.PlanInputs(
        team="llm-research",
        interview=services.local_today("UTC") + timedelta(days=21),
        background="wizard",
    )
    with pytest.raises(PlanInputError) as error:
        services.create_plan(inputs=inputs)
    assert error.value.field == "background"
    assert Plan.objects.count() == 0


@needs_db
def test_list_backgrounds_shows_each_preset_with_what_it_assumes(small_kb):
    out = StringIO()
    call_command("list_backgrounds", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["slug", "title", "known", "shaky"]
    # softmax, and the math area (linear-algebra); self-attention is shaky.
    assert lines[1].split() == ["ml-engineer", "ML", "engineer", "2", "1"]
    assert lines[2].strip() == "Trains and ships models; rusty on attention."


@needs_db
def test_list_backgrounds_says_when_there_are_none():
    out = StringIO()
    call_command("list_backgrounds", stdout=out)
    assert "No backgrounds stored" in out.getvalue()
