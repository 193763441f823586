import json
from datetime import date, timedelta
from io import StringIO

import networkx as nx
import pytest
from django.core.management import CommandError, call_command

from kb.models import Concept, Prerequisite
from tests.kb.factories import make_concepts, make_edges
from tests.kb.test_io import SMALL

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL))
    return path


def test_import_graph_reports_what_it_did(small_file):
    output = run("import_graph", str(small_file))
    assert "concepts: 3 created, 0 updated, 0 unchanged" in output
    assert Concept.objects.count() == 3
    assert "concepts: 0 created, 0 updated, 3 unchanged" in run("import_graph", str(small_file))


def test_import_graph_dry_run_writes_nothing(small_file):
    assert "dry run, nothing written" in run("import_graph", str(small_file), "--dry-run")
    assert Concept.objects.count() == 0


def test_import_graph_fails_listing_every_problem(tmp_path):
    bad = dict(SMALL, edges=[{"from": "softmax", "to": "ghost"}, {"from": "x", "to": "softmax"}])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as error:
        run("import_graph", str(path))
    message = str(error.value)
    assert message.startswith("2 problems found, nothing imported:")
    assert "edges[0] (softmax -> ghost).to: unknown concept 'ghost'" in message
    assert "edges[1] (x -> softmax).from: unknown concept 'x'" in message
    assert Concept.objects.count() == 0


def test_import_graph_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"file: .*nope\.json does not exist"):
        run("import_graph", str(tmp_path / "nope.json"))


def test_export_graph_json_round_trips_through_import(small_file, tmp_path):
    run("import_graph", str(small_file))
    exported = run("export_graph")
    assert json.loads(exported)["format"] == "prepgraph/1"
    target = tmp_path / "out.json"
    run("export_graph", "--output", str(target))
    assert target.read_text() == exported


@pytest.mark.parametrize("fmt", ["graphml", "dot", "mermaid"])
def test_export_graph_writes_each_graph_format(small_file, fmt):
    run("import_graph", str(small_file))
    text = run("export_graph", "--format", fmt)
    assert "self-attention" in text or "self_attention" in text
    if fmt == "graphml":
        graph = nx.parse_graphml(text)
        assert graph.number_of_edges() == 2


def test_export_graph_around_a_root(small_file):
    run("import_graph", str(small_file))
    text = run("export_graph", "--format", "dot", "--root", "transformer", "--depth", "1")
    assert '"self-attention" -> "transformer"' in text
    assert '"softmax"' not in text


def test_export_graph_bad_arguments_are_named(small_file, tmp_path):
    run("import_graph", str(small_file))
    with pytest.raises(CommandError, match="--root"):
        run("export_graph", "--root", "transformer")
    with pytest.raises(CommandError, match="root: unknown concept 'ghost'"):
        run("export_graph", "--format", "dot", "--root", "ghost")
    with pytest.raises(CommandError, match="--output: directory"):
        run("export_graph", "--output", str(tmp_path / "no" / "such" / "file.json"))


def test_validate_graph_passes_a_complete_graph(small_file):
    run("import_graph", str(small_file))
    Concept.objects.filter(slug="softmax").first().resources.add(
        *Concept.objects.get(slug="transformer").resources.all()
    )
    assert "no problems" in run("validate_graph")


def test_validate_graph_fails_on_isolated_and_incomplete_concepts():
    make_edges("a>b")
    make_concepts("alone", hours=None)
    out = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("validate_graph", stdout=out)
    text = out.getvalue()
    assert "isolated concept (no prerequisite and no dependent): alone" in text
    assert "concept without an hours estimate: alone" in text
    assert "concept without any resource: a" in text


def test_validate_graph_checks_a_file_without_writing(small_file, tmp_path):
    assert "no problems found" in run("validate_graph", "--file", str(small_file))
    assert Concept.objects.count() == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(CommandError, match="malformed JSON at line 1 column 2"):
        run("validate_graph", "--file", str(bad))


def test_learning_path_prints_the_order_with_hours(small_file):
    run("import_graph", str(small_file))
    output = run("learning_path", "transformer", "--known", "softmax")
    lines = output.splitlines()
    assert "2 concepts, 8.0 h" in lines[0]
    assert "Self-attention" in lines[1] and "Transformer" in lines[2]


def test_learning_path_names_unknown_targets(small_file):
    run("import_graph", str(small_file))
    with pytest.raises(CommandError, match="targets: unknown concept 'nope'"):
        run("learning_path", "nope")
    with pytest.raises(CommandError, match="targets: give at least one concept"):
        run("learning_path", " , ")


def test_graph_summary_counts_the_content(small_file):
    run("import_graph", str(small_file))
    output = run("graph_summary")
    assert "3 concepts, 2 prerequisite edges (2 required)" in output
    assert "softmax -> self-attention -> transformer" in output
    assert Prerequisite.objects.count() == 2


def test_export_graph_prints_the_interchange_json_schema():
    schema = json.loads(run("export_graph", "--format", "schema"))
    assert schema["properties"]["format"]["const"] == "prepgraph/1"
    assert "ConceptRecord" in schema["$defs"]


# --- finding slugs: list_concepts, list_tracks, list_teams, suggestions ----------------------


def table(output: str) -> list[list[str]]:
    """The rows of a list_* table (header first), cells split on runs of two spaces."""
    return [[cell for cell in line.split("  ") if cell] for line in output.splitlines()[:-1]]


def test_list_concepts_prints_slug_title_area_hours_and_difficulty(small_kb):
    output = run("list_concepts")
    rows = [[cell.strip() for cell in row] for row in table(output)]
    assert rows[0] == ["slug", "title", "area", "hours", "difficulty"]
    assert rows[1] == ["bert", "Bert", "nlp", "2.0", "intermediate"]
    assert [row[0] for row in rows[1:]] == sorted(c["slug"] for c in small_kb["concepts"])
    assert output.splitlines()[-1] == "7 concepts, 15.0 h"


def test_list_concepts_filters_by_area_and_track(small_kb):
    assert [row[0] for row in table(run("list_concepts", "--area", "fundamentals"))[1:]] == [
        "k-means",
        "softmax",
    ]
    output = run("list_concepts", "--track", "nlp")
    assert [row[0].strip() for row in table(output)[1:]] == ["bert", "tokenization", "transformer"]
    assert output.splitlines()[-1] == "3 concepts, 7.5 h"


def test_list_concepts_search_ranks_by_stem_and_says_what_matched(small_kb):
    output = run("list_concepts", "--search", "transformers")
    rows = [[cell.strip() for cell in row] for row in table(output)]
    assert rows[0][-1] == "match"
    assert rows[1] == ["transformer", "Transformer", "nlp", "4.0", "intermediate", "name"]
    assert [row[0] for row in rows[1:]] == ["transformer"]
    assert run("list_concepts", "--search", "tokenizer", "--area", "nlp").startswith("slug")
    assert "tokenization" in run("list_concepts", "--search", "tokenizer")


def test_list_concepts_search_that_finds_nothing_suggests_close_slugs(small_kb):
    assert run("list_concepts", "--search", "transfomer") == (
        "No concept matches 'transfomer' (did you mean: 'transformer'?).\n"
    )
    assert run("list_concepts", "--search", "zebra") == "No concept matches 'zebra'.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "nlpp"], "--area: unknown area 'nlpp' (did you mean: 'nlp'?); the areas are"),
        (["--track", "nlpp"], "--track: unknown track 'nlpp' (did you mean: 'nlp'?)"),
        (["--track", "ghost"], "--track: unknown track 'ghost'"),
        (["--search", " "], "--search: give some words"),
    ],
)
def test_list_concepts_bad_arguments_are_named_with_suggestions(small_kb, args, message):
    with pytest.raises(CommandError) as error:
        run("list_concepts", *args)
    assert str(error.value).startswith(message)
    assert "ghost" not in args or str(error.value) == message


def test_list_tracks_prints_each_tracks_concepts_and_hours(small_kb):
    rows = [[cell.strip() for cell in row] for row in table(run("list_tracks"))]
    assert rows == [
        ["slug", "title", "concepts", "hours"],
        ["ml-fundamentals", "Fundamentals", "2", "2.5"],
        ["nlp", "NLP", "3", "7.5"],
    ]


def test_list_teams_prints_role_tracks_and_the_study_their_tracks_imply(
    small_kb, django_assert_num_queries
):
    with django_assert_num_queries(3):
        output = run("list_teams")
    rows = [[cell.strip() for cell in row] for row in table(output)]
    assert rows == [
        ["slug", "name", "role", "concepts", "hours", "tracks"],
        ["ads-ranking", "Ads ranking", "ml-engineer", "2", "2.5", "ml-fundamentals=1"],
        [
            "llm-research",
            "LLM research",
            "research-scientist",
            "5",
            "10.0",
            "nlp=1,ml-fundamentals=0.3",
        ],
    ]
    assert output.splitlines()[-1] == "2 teams"


def test_list_commands_on_an_empty_knowledge_base_say_so():
    assert run("list_teams").startswith("No team profiles yet")
    assert run("list_tracks").startswith("No tracks yet")
    assert run("list_concepts").splitlines()[-1] == "0 concepts, 0.0 h"


def test_an_unknown_slug_on_the_command_line_suggests_the_one_meant(small_kb):
    def error_of(*args) -> str:
        with pytest.raises(CommandError) as error:
            run(*args)
        return str(error.value)

    assert error_of("learning_path", "transfomer") == (
        "targets: unknown concept 'transfomer' (did you mean: 'transformer'?)"
    )
    assert error_of("export_graph", "--format", "dot", "--root", "self-atention").startswith(
        "root: unknown concept 'self-atention' (did you mean: 'self-attention'"
    )
    interview = (date.today() + timedelta(days=30)).isoformat()
    for option in ("--targets", "--known", "--shaky"):
        message = error_of(
            "plan", "--team", "llm-research", "--interview", interview, option, "tokenisation"
        )
        assert message.startswith(
            f"{option[2:]}: unknown concept 'tokenisation' (did you mean: 'tokenization'"
        )
