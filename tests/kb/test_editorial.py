"""The editorial rules of `validate_graph --strict` (kb.editorial), on small hand-built graphs.

Each rule is checked on a graph that passes every rule (GOOD) and on one change that
breaks exactly that rule, with the problem it must name; then the command, on the
database and on a file.
"""

import copy
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kb import editorial, io
from kb.models import Concept, Prerequisite, Resource


def concept(slug, difficulty, stages=(), area="nlp", hours=1):
    return {
        "slug": slug,
        "title": slug.replace("-", " ").capitalize(),
        "area": area,
        "hours": hours,
        "difficulty": difficulty,
        "stages": list(stages),
        "summary": f"What {slug} is.",
    }


def resource(slug, minutes=30):
    return {
        "title": f"On {slug}",
        "url": f"https://example.org/{slug}",
        "kind": "tutorial",
        "minutes": minutes,
        "concepts": [slug],
    }


GOOD = {
    "format": "prepgraph/1",
    "stages": [
        {"slug": "ml-coding", "title": "ML coding", "typical_minutes": 45, "order": 2},
        {"slug": "research-talk", "title": "Research talk", "typical_minutes": 60,
         "research_only": True, "order": 5},
    ],
    "concepts": [
        concept("softmax", 1, ["ml-coding"], area="fundamentals"),
        concept("attention", 2, ["ml-coding"]),
        concept("transformer", 2),
        concept("coding-practice", 2, ["ml-coding"], area="interviewing"),
        concept("talk-prep", 3, ["research-talk"], area="interviewing"),
    ],
    "edges": [
        {"from": "softmax", "to": "attention", "kind": "required", "reason": "softmax weights"},
        {"from": "attention", "to": "transformer", "kind": "required", "reason": "its layer"},
        {"from": "softmax", "to": "coding-practice", "kind": "required", "reason": "a prompt"},
        {"from": "transformer", "to": "talk-prep", "kind": "recommended", "reason": "topic"},
    ],
    "resources": [resource(s) for s in
                  ("softmax", "attention", "transformer", "coding-practice", "talk-prep")],
    "questions": [
        {"slug": "code-attention", "text": "Implement attention.", "stage": "ml-coding",
         "concepts": ["attention", "transformer", "coding-practice"]},
        {"slug": "defend-ablation", "text": "Which ablation convinced you?",
         "stage": "research-talk", "concepts": ["talk-prep"]},
    ],
    "tracks": [
        {"slug": "nlp", "title": "NLP", "concepts": [
            {"concept": "transformer", "weight": 1.0}, {"concept": "attention", "weight": 0.8},
            {"concept": "softmax", "weight": 0.3}]},
        {"slug": "skills", "title": "Interview skills", "concepts": [
            {"concept": "coding-practice", "weight": 1.0},
            {"concept": "talk-prep", "weight": 0.9}]},
    ],
    "teams": [
        {"slug": "llm-research", "name": "LLM research", "role": "research-scientist",
         "tracks": [{"track": "nlp", "weight": 1.0}, {"track": "skills", "weight": 0.8}],
         "loop": [{"stage": "ml-coding", "minutes": 45},
                  {"stage": "research-talk", "minutes": 60}]},
    ],
}  # fmt: skip


def changed(mutate) -> dict:
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


def find(records, slug, key="slug"):
    return next(r for r in records if r[key] == slug)


def test_the_good_graph_passes_every_rule():
    assert editorial.problems(GOOD) == []


# --- loop stages without practice ------------------------------------------------------------


def test_a_team_that_weighs_nothing_for_a_stage_breaks_all_three_conditions():
    data = changed(lambda d: find(d["tracks"], "skills")["concepts"].pop())  # drops talk-prep
    place = "team 'llm-research', loop stage 'research-talk'"
    assert editorial.loop_stages_without_practice(data) == [
        f"{place}: none of the concepts its tracks weigh is asked in this stage "
        "(lists it in `stages`)",
        f"{place}: no question of this stage tests a concept its tracks weigh",
        f"{place}: its tracks weigh none of the stage's practice concepts (talk-prep)",
    ]


def test_weighing_some_concept_of_the_stage_is_not_weighing_its_practice():
    def mutate(d):
        d["concepts"].append(concept("talk-outline", 2, ["research-talk"]))
        d["edges"].append({"from": "transformer", "to": "talk-outline", "kind": "required"})
        find(d["tracks"], "nlp")["concepts"].append({"concept": "talk-outline", "weight": 0.5})
        find(d["questions"], "defend-ablation")["concepts"].append("talk-outline")
        find(d["tracks"], "skills")["concepts"].pop()  # talk-prep no longer weighed

    assert editorial.loop_stages_without_practice(changed(mutate)) == [
        "team 'llm-research', loop stage 'research-talk': its tracks weigh none of the "
        "stage's practice concepts (talk-prep)"
    ]


def test_a_stage_without_a_question_on_what_the_team_weighs_is_named():
    data = changed(lambda d: find(d["questions"], "defend-ablation").update(stage="ml-coding"))
    assert editorial.loop_stages_without_practice(data) == [
        "team 'llm-research', loop stage 'research-talk': no question of this stage tests a "
        "concept its tracks weigh"
    ]


def test_practice_concepts_are_interviewing_concepts_of_exactly_one_stage():
    data = changed(
        lambda d: find(d["concepts"], "coding-practice").update(
            stages=["ml-coding", "research-talk"]
        )
    )
    assert editorial.practice_concepts(GOOD) == {
        "ml-coding": ["coding-practice"],
        "research-talk": ["talk-prep"],
    }
    assert editorial.practice_concepts(data) == {"research-talk": ["talk-prep"]}


def test_team_relevance_is_the_best_product_of_team_and_track_weights():
    data = changed(
        lambda d: find(d["tracks"], "skills")["concepts"].append(
            {"concept": "attention", "weight": 1.0}
        )
    )
    relevance = editorial.team_relevance(data, data["teams"][0])
    assert relevance["attention"] == 0.8  # max(1.0 x 0.8, 0.8 x 1.0)
    assert relevance["talk-prep"] == 0.72


# --- required prerequisites harder than their target -----------------------------------------


def test_a_required_prerequisite_harder_than_its_target_is_named():
    data = changed(lambda d: find(d["concepts"], "softmax").update(difficulty=3))
    assert editorial.harder_required_prerequisites(data) == [
        "edge softmax -> attention: the required prerequisite is harder than its target "
        "(difficulty 3 > 2); make the edge recommended or raise attention's difficulty",
        "edge softmax -> coding-practice: the required prerequisite is harder than its target "
        "(difficulty 3 > 2); make the edge recommended or raise coding-practice's difficulty",
    ]


def test_a_recommended_prerequisite_may_be_harder():
    data = changed(lambda d: find(d["concepts"], "talk-prep").update(difficulty=1))
    assert editorial.harder_required_prerequisites(data) == []


# --- foundational concepts buried deep ---------------------------------------------------------


def chain(length: int, *, kind="required") -> dict:
    """c0 -> c1 -> ... -> c<length>, all difficulty 1."""
    return {
        "concepts": [concept(f"c{i}", 1) for i in range(length + 1)],
        "edges": [{"from": f"c{i}", "to": f"c{i + 1}", "kind": kind} for i in range(length)],
    }


def test_required_depth_is_the_longest_required_chain():
    data = chain(3)
    data["edges"].append({"from": "c0", "to": "c3", "kind": "required"})  # a shortcut
    assert editorial.required_depths(data) == {"c0": 0, "c1": 1, "c2": 2, "c3": 3}


def test_difficulty_one_deeper_than_the_limit_is_named_and_at_the_limit_is_not():
    limit = editorial.MAX_FOUNDATIONAL_DEPTH
    assert editorial.deep_foundational_concepts(chain(limit)) == []
    assert editorial.deep_foundational_concepts(chain(limit + 1)) == [
        f"concept 'c{limit + 1}': difficulty 1 (foundational) but {limit + 1} required "
        f"prerequisites deep (at most {limit}); raise its difficulty or make the edges that "
        "bury it recommended"
    ]
    assert editorial.deep_foundational_concepts(chain(3), max_depth=2) != []


def test_recommended_edges_do_not_bury_a_concept_and_harder_concepts_may_be_deep():
    assert editorial.deep_foundational_concepts(chain(10, kind="recommended")) == []
    deep = chain(10)
    for record in deep["concepts"]:
        record["difficulty"] = 2
    assert editorial.deep_foundational_concepts(deep) == []


def test_a_cycle_leaves_depth_to_the_cycle_check():
    data = chain(8)
    data["edges"].append({"from": "c8", "to": "c0", "kind": "required"})
    assert editorial.required_depths(data) == {}
    assert editorial.deep_foundational_concepts(data) == []


# --- highly weighted concepts without a question ---------------------------------------------


def add_weighted(weight):
    def mutate(d):
        d["concepts"].append(concept("positional-encodings", 2))
        d["edges"].append({"from": "attention", "to": "positional-encodings"})
        find(d["tracks"], "nlp")["concepts"].append(
            {"concept": "positional-encodings", "weight": weight}
        )

    return changed(mutate)


def test_a_concept_weighed_at_the_threshold_without_a_question_is_named():
    assert editorial.weighted_concepts_without_questions(add_weighted(0.7)) == [
        "concept 'positional-encodings': weighed 0.7 in track 'nlp' but no question tests it"
    ]
    assert editorial.weighted_concepts_without_questions(add_weighted(0.69)) == []


def test_the_best_weight_over_all_tracks_counts():
    data = add_weighted(0.3)
    find(data["tracks"], "skills")["concepts"].append(
        {"concept": "positional-encodings", "weight": 0.9}
    )
    assert editorial.weighted_concepts_without_questions(data) == [
        "concept 'positional-encodings': weighed 0.9 in track 'skills' but no question tests it"
    ]


# --- resources without minutes -----------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, None])
def test_a_resource_without_minutes_is_named(minutes):
    data = changed(lambda d: d["resources"][0].update(minutes=minutes))
    assert editorial.resources_without_minutes(data) == [
        "resource 'https://example.org/softmax': no minutes (reading or watching time)"
    ]
    data["resources"][0].pop("minutes")
    assert len(editorial.resources_without_minutes(data)) == 1


# --- the command -------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("validate_graph", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def failing(*args) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match=r"\d+ problem\(s\) found"):
        call_command("validate_graph", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path, data, name="graph.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.django_db
def test_strict_passes_the_good_graph_and_the_exported_database_matches_it():
    io.import_text(json.dumps(GOOD))
    assert "no problems" in run("--strict")
    assert editorial.check_database() == []


@pytest.mark.django_db
def test_strict_names_what_the_plain_check_lets_through():
    io.import_text(
        json.dumps(changed(lambda d: find(d["concepts"], "softmax").update(difficulty=3)))
    )
    assert "no problems" in run()
    output = failing("--strict")
    assert "edge softmax -> attention: the required prerequisite is harder" in output


@pytest.mark.django_db
def test_strict_finds_a_resource_the_database_holds_without_minutes():
    io.import_text(json.dumps(GOOD))
    Resource.objects.filter(url="https://example.org/attention").update(minutes=0)
    assert "resource 'https://example.org/attention': no minutes" in failing("--strict")


@pytest.mark.django_db
def test_strict_file_checks_the_database_as_the_file_would_leave_it(tmp_path):
    io.import_text(json.dumps(GOOD))
    edges_before = Prerequisite.objects.count()
    addition = {
        "format": "prepgraph/1",
        "concepts": [concept("temperature", 3, area="fundamentals")],
        "edges": [{"from": "temperature", "to": "softmax", "kind": "required",
                   "reason": "sampling"}],
        "resources": [resource("temperature")],
    }  # fmt: skip
    path = write(tmp_path, addition)
    assert "no problems found" in run("--file", path)  # the file itself imports cleanly
    output = failing("--file", path, "--strict")
    assert "edge temperature -> softmax: the required prerequisite is harder" in output
    assert not Concept.objects.filter(slug="temperature").exists()
    assert Prerequisite.objects.count() == edges_before


@pytest.mark.django_db
def test_strict_file_reports_integrity_problems_and_refused_files(tmp_path):
    lonely = {"format": "prepgraph/1",
              "concepts": [concept("lonely", 2), concept("alone", 2)],
              "resources": [resource("lonely"), resource("alone")]}  # fmt: skip
    assert "isolated concept (no prerequisite and no dependent): lonely" in failing(
        "--file", write(tmp_path, lonely), "--strict"
    )
    broken = {"format": "prepgraph/1", "edges": [{"from": "ghost", "to": "softmax"}]}
    with pytest.raises(CommandError, match="unknown concept 'ghost'"):
        run("--file", write(tmp_path, broken, "broken.json"), "--strict")
    assert Concept.objects.count() == 0


@pytest.mark.django_db
def test_strict_file_passes_a_good_file_on_an_empty_database(tmp_path):
    assert "no problems found" in run("--file", write(tmp_path, GOOD), "--strict")
    assert Concept.objects.count() == 0
