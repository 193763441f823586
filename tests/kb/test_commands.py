import json
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
