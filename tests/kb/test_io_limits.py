"""Files the format must refuse with a problem, never a database error or a traceback.

Each value below passed the interchange types once but not the database (hours
that round to 0.00, an order past the integer column, a slug longer than its
column) or not Python's json (nesting ~950 deep). Every way in is checked: the
parser, import_graph with and without --dry-run, validate_graph --file, the
command as a process, and the API; each leaves the knowledge base as it was.
"""

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from kb import io
from kb.errors import ImportFailed
from kb.models import Concept
from tests.small_kb import SMALL_KB

pytestmark = pytest.mark.django_db

URL = "/api/v1/import/"


def changed(**mutations: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(SMALL_KB)
    for mutate in mutations.values():
        mutate(data)
    return data


def set_at(section: str, index: int, key: str, value) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        data[section][index][key] = value

    return mutate


def deeply_nested(levels: int) -> str:
    return '{"format": "prepgraph/1", "concepts": ' + "[" * levels + "]" * levels + "}"


LONG_SLUG = "s" * 61
# (file text, the one problem it must be reported with)
BAD_FILES = {
    "hours round to zero": (
        changed(hours=set_at("concepts", 3, "hours", 0.004)),
        "concepts[3] (slug 'transformer').hours: 0.004 rounds to 0 hours; give at least 0.01",
    ),
    "hours round half to even zero": (
        changed(hours=set_at("concepts", 1, "hours", 0.005)),
        "concepts[1] (slug 'softmax').hours: 0.005 rounds to 0 hours; give at least 0.01",
    ),
    "tiny hours in exponent form": (
        changed(hours=set_at("concepts", 0, "hours", 1e-05)),
        "concepts[0] (slug 'linear-algebra').hours: 1e-05 rounds to 0 hours; give at least 0.01",
    ),
    "stage order past the integer column": (
        changed(order=set_at("stages", 0, "order", 2**31)),
        "stages[0] (slug 'recruiter-screen').order: "
        "Input should be less than or equal to 2147483647",
    ),
    "stage slug longer than its column": (
        changed(slug=set_at("stages", 5, "slug", LONG_SLUG)),
        f"stages[5] (slug '{LONG_SLUG}').slug: String should have at most 60 characters",
    ),
    "track slug longer than its column": (
        changed(slug=set_at("tracks", 1, "slug", LONG_SLUG)),
        f"tracks[1] (slug '{LONG_SLUG}').slug: String should have at most 60 characters",
    ),
    "nested 950 deep": (deeply_nested(950), "file: JSON is nested deeper than 64 levels"),
    "nested 65 deep": (deeply_nested(64), "file: JSON is nested deeper than 64 levels"),
}


def text_of(content) -> str:
    return content if isinstance(content, str) else json.dumps(content)


@pytest.fixture
def stored(small_kb) -> dict:
    """The knowledge base before the bad import, to compare with after it."""
    return io.export_data()


@pytest.fixture(params=sorted(BAD_FILES), ids=lambda name: name.replace(" ", "-"))
def bad_file(request, tmp_path) -> tuple[Path, str]:
    content, problem = BAD_FILES[request.param]
    path = tmp_path / "bad.json"
    path.write_text(text_of(content))
    return path, problem


def test_the_parser_names_the_problem_with_its_place(bad_file):
    path, problem = bad_file
    with pytest.raises(ImportFailed) as error:
        io.parse(path.read_bytes())
    assert error.value.problems == [problem]


@pytest.mark.parametrize(
    "command",
    [("import_graph",), ("import_graph", "--dry-run"), ("validate_graph", "--file")],
    ids=["import", "dry-run", "validate"],
)
def test_every_command_reports_the_problem_and_writes_nothing(stored, bad_file, command):
    path, problem = bad_file
    with pytest.raises(CommandError) as error:
        call_command(*command, str(path))
    assert str(error.value) == f"1 problem found, nothing imported:\n  - {problem}"
    assert io.export_data() == stored


def test_the_api_import_is_a_400_listing_the_problem(stored, bad_file, admin_client):
    path, problem = bad_file
    response = admin_client.generic("POST", URL, path.read_bytes(), content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_failed"
    assert error["details"]["problems"] == [problem]
    assert io.export_data() == stored


@pytest.mark.parametrize(
    ("content", "problem"),
    [BAD_FILES["hours round to zero"], BAD_FILES["nested 950 deep"]],
    ids=["hours", "nesting"],
)
@pytest.mark.parametrize("command", [["import_graph"], ["validate_graph", "--file"]])
def test_the_command_exits_1_with_the_message_and_no_traceback(tmp_path, content, problem, command):
    path = tmp_path / "bad.json"
    path.write_text(text_of(content))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", *command, str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("hours", "stored_hours"), [(0.01, "0.01"), (0.006, "0.01"), (200, "200")])
def test_hours_that_round_to_a_positive_value_are_imported_rounded(db, hours, stored_hours):
    data = {
        "format": "prepgraph/1",
        "concepts": [{"slug": "tiny", "title": "Tiny", "area": "nlp", "hours": hours}],
    }
    io.import_text(json.dumps(data))
    assert Concept.objects.get(slug="tiny").hours == Decimal(stored_hours)


def test_a_file_nested_to_the_limit_is_parsed(db):
    # 64 levels is allowed: the problem is the stray field, not the depth.
    with pytest.raises(ImportFailed) as error:
        io.parse('{"format": "prepgraph/1", "x": ' + "[" * 63 + "]" * 63 + "}")
    assert error.value.problems == ["x: Extra inputs are not permitted"]


def test_brackets_inside_strings_do_not_count_as_nesting(db):
    title = "[" * 90 + '\\"{' * 50
    data = '{"format": "prepgraph/1", "concepts": [{"slug": "a", "title": "%s", "area": "nlp"}]}'
    io.import_text(data % title)
    assert Concept.objects.get(slug="a").title == "[" * 90 + '"{' * 50


def test_a_database_refusal_during_the_write_is_a_problem_not_a_traceback(stored, monkeypatch):
    # Stands for a concurrent write between the checks and the write: the checks pass, the
    # database's own constraint (no self-loop) refuses, and the import rolls back whole.
    monkeypatch.setattr(io, "check", lambda data: [])
    data = changed(concepts=lambda d: d["concepts"].append(dict(d["concepts"][0], slug="new")))
    data["edges"].append({"from": "bert", "to": "bert"})
    with pytest.raises(ImportFailed) as error:
        io.import_text(json.dumps(data))
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith("database: refused the import, nothing was written")
    assert io.export_data() == stored
