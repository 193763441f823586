import copy
import json

import pytest

from kb.models import Concept, Prerequisite
from tests.api.conftest import error_of
from tests.small_kb import SMALL_KB

pytestmark = pytest.mark.django_db

URL = "/api/v1/import/"


def post(client, data, **params):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return client.generic("POST", URL + query, body, content_type="application/json")


def test_staff_import_an_interchange_file(db, client_staff):
    response = post(client_staff, SMALL_KB)
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is False
    assert body["changed"] is True
    assert body["created"]["concepts"] == 7
    assert body["created"]["edges"] == 5
    assert "concepts: 7 created, 0 updated, 0 unchanged" in body["lines"]
    assert Concept.objects.count() == 7


def test_importing_the_same_file_again_changes_nothing(small_kb, client_staff):
    body = post(client_staff, SMALL_KB).json()
    assert body["changed"] is False
    assert body["unchanged"]["concepts"] == 7


def test_a_dry_run_reports_and_writes_nothing(db, client_staff):
    response = post(client_staff, SMALL_KB, dry_run="true")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["created"]["concepts"] == 7
    assert Concept.objects.count() == 0


def test_a_file_with_problems_imports_nothing_and_lists_every_problem(small_kb, client_staff):
    data = copy.deepcopy(SMALL_KB)
    data["concepts"].append({"slug": "new-one", "title": "New", "area": "nlp"})
    data["concepts"][0]["hours"] = "two"
    data["edges"].append({"from": "bert", "to": "softmax"})
    response = post(client_staff, data)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "import_failed"
    assert error["details"]["problems"] == [
        "concepts[0] (slug 'linear-algebra').hours: Input should be a valid number"
    ]
    assert not Concept.objects.filter(slug="new-one").exists()


def test_a_file_that_would_close_a_cycle_imports_nothing(small_kb, client_staff):
    data = {
        "format": "prepgraph/1",
        "concepts": [{"slug": "new-one", "title": "New", "area": "nlp"}],
        "edges": [{"from": "bert", "to": "softmax"}],
    }
    response = post(client_staff, data)
    assert response.status_code == 400
    problems = error_of(response)["details"]["problems"]
    assert problems == ["edges: cycle: bert -> softmax -> self-attention -> transformer -> bert"]
    assert not Concept.objects.filter(slug="new-one").exists()
    assert not Prerequisite.objects.filter(prerequisite__slug="bert").exists()


def test_malformed_json_is_reported_with_line_and_column(db, client_staff):
    response = post(client_staff, '{"format": "prepgraph/1",\n  "concepts": [,]}')
    assert response.status_code == 400
    assert error_of(response)["details"]["problems"] == [
        "file: malformed JSON at line 2 column 16: Expecting value"
    ]


def test_an_empty_body_is_a_400(db, client_staff):
    assert post(client_staff, b"").status_code == 400


def test_a_file_over_the_import_limit_is_a_413(db, client_staff, settings):
    settings.API_IMPORT_MAX_BYTES = 100
    response = post(client_staff, SMALL_KB)
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_the_import_limit_is_larger_than_the_general_body_limit(db, client_staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert len(json.dumps(SMALL_KB)) > 1000
    assert post(client_staff, SMALL_KB).status_code == 200


def test_only_staff_import(db, anon, client_alice):
    assert post(anon, SMALL_KB).status_code == 401
    assert post(client_alice, SMALL_KB).status_code == 403
    assert Concept.objects.count() == 0
