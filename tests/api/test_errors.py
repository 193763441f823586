"""One error envelope for every failure, with the status each domain error maps to."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.test import APIClient, APIRequestFactory

from api import selectors
from api.exception_handlers import exception_handler
from kb.errors import (
    ConceptHasDependents,
    DuplicatePrerequisite,
    ImportFailed,
    NoPath,
    PrerequisiteCycle,
    SelfLoop,
    UnknownConcept,
)
from planner.core import PlanInputError
from tests.api.conftest import error_of


def handle(exc):
    request = APIRequestFactory().get("/api/v1/")
    return exception_handler(exc, {"request": request, "view": None})


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (UnknownConcept(["ghost"], field="known"), 400, "unknown_concept"),
        (NoPath("a", "b"), 404, "no_prerequisite_path"),
        (PrerequisiteCycle(["a", "b", "a"]), 400, "prerequisite_cycle"),
        (SelfLoop("a"), 400, "prerequisite_self_loop"),
        (DuplicatePrerequisite("a", "b"), 409, "prerequisite_duplicate"),
        (ConceptHasDependents("a", ["b"]), 409, "concept_has_dependents"),
        (PlanInputError("interview", "is in the past"), 400, "invalid_plan_request"),
        (ImportFailed(["edges[0]: unknown concept 'x'"]), 400, "import_failed"),
    ],
)
def test_each_domain_error_maps_to_its_status_and_code(db, exc, status, code):
    response = handle(exc)
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert response.data["error"]["message"] == exc.message


def test_details_name_the_field_of_bad_input(db):
    assert handle(PlanInputError("hours", "no")).data["error"]["details"] == {"field": "hours"}
    assert handle(UnknownConcept(["x"], field="known")).data["error"]["details"] == {
        "field": "known",
        "known": ["x"],
    }
    assert handle(ImportFailed(["p"])).data["error"]["details"] == {"problems": ["p"]}


def test_djangos_own_errors_get_the_envelope_too(db):
    response = handle(DjangoValidationError({"slug": ["Already taken."]}))
    assert response.status_code == 400
    assert response.data["error"] == {
        "code": "invalid",
        "message": "slug: Already taken.",
        "details": {"field": "slug", "fields": {"slug": ["Already taken."]}},
    }
    response = handle(Http404("no concept 'x'"))
    assert (response.status_code, response.data["error"]["message"]) == (404, "no concept 'x'")
    assert handle(DjangoPermissionDenied()).status_code == 403


def test_unknown_errors_are_left_to_be_server_errors(db):
    assert handle(RuntimeError("bug")) is None


def test_a_bug_is_a_500_with_the_envelope_and_no_details(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "learning_path", broken)
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/graph/learning-path/?targets=a")
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "server_error",
        "message": "Internal server error.",
        "details": {},
    }
    assert b"secret" not in response.content


def test_validation_messages_name_nested_fields(small_kb, client_alice):
    body = {"interview": "2030-01-01", "hours_per_weekday": [1, 2, "x", 4, 5, 6, 7]}
    response = client_alice.post("/api/v1/plans/", body, format="json")
    error = error_of(response)
    assert error["message"] == "hours_per_weekday[2]: Must be a JSON number."
    assert error["details"]["field"] == "hours_per_weekday"


def test_an_unknown_api_url_is_a_json_404(db, anon):
    response = anon.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert error_of(response)["message"] == "no API endpoint at /api/v1/no-such-thing/"


def test_malformed_json_is_a_400(db, client_alice):
    response = client_alice.generic(
        "POST", "/api/v1/plans/", '{"team": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_a_body_that_is_not_json_is_a_415(db, client_alice):
    response = client_alice.generic(
        "POST", "/api/v1/plans/", "team=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_size_limit_is_a_413(db, client_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"interview": "2030-01-01", "team": "x", "known": ["a" * 50] * 40}
    response = client_alice.post("/api/v1/plans/", body, format="json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_a_wrong_method_is_a_405(db, client_alice):
    response = client_alice.put("/api/v1/plans/", {}, format="json")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_bad_token_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get("/api/v1/concepts/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", "/api/v1/concepts/a%00b/", None, 404),
        ("get", "/api/v1/concepts/?track=a%00b", None, 400),
        ("get", "/api/v1/concepts/?q=a%00b", None, 400),
        ("get", "/api/v1/questions/?concept=%00", None, 400),
        ("get", "/api/v1/graph/next/?team=a%00", None, 400),
        ("get", "/api/v1/graph/path/?from=a%00&to=bert", None, 400),
        ("get", "/api/v1/feeds/a%00b.ics", None, 404),
        ("post", "/api/v1/edges/", {"from": "soft\x00max", "to": "bert"}, 400),
        ("post", "/api/v1/concepts/", {"slug": "x", "title": "a\x00", "area": "nlp"}, 400),
        ("post", "/api/v1/import/", {"concepts": [{"slug": "x", "title": "\x00"}]}, 400),
    ],
)
def test_a_nul_character_anywhere_is_a_client_error_not_a_database_error(
    small_kb, client_staff, method, url, body, status
):
    # PostgreSQL text cannot hold NUL: it must be refused before any query sees it.
    response = getattr(client_staff, method)(url, body, format="json")
    assert response.status_code == status
    error_of(response)
