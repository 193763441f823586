"""Hostile request bodies: nested JSON and chunked transfer, each refused or read correctly."""

import io
import json
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from kb.models import Prerequisite
from prepgraph import wsgi_body
from prepgraph.wsgi import application
from prepgraph.wsgi_body import ChunkedBodyMiddleware
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def obj(*members: str) -> str:
    """A JSON object from its members' text: obj('"a": 1') -> '{"a": 1}'."""
    return "{" + ", ".join(members) + "}"


# --- JSON nested too deep: a 400 on every JSON endpoint, not a RecursionError 500 -------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/plans/", nested(950)),
        ("POST", "/api/v1/plans/", obj('"interview": "2030-01-01"', '"known": ' + nested(950))),
        ("POST", "/api/v1/edges/", obj('"from": ' + nested(100_000))),
        ("POST", "/api/v1/concepts/", obj('"aliases": ' + nested(65))),
        ("PATCH", "/api/v1/reminder-preferences/", obj('"days_off": ' + nested(950))),
    ],
)
def test_json_nested_deeper_than_64_levels_is_a_400_everywhere(
    small_kb, client_staff, method, url, body
):
    response = client_staff.generic(method, url, body, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert error["message"] == "JSON parse error - JSON is nested deeper than 64 levels"


def test_json_nested_to_the_limit_is_parsed_and_validated_as_usual(small_kb, client_staff):
    body = obj('"from": "k-means"', '"to": "bert"', '"reason": ' + nested(63))
    response = client_staff.generic("POST", "/api/v1/edges/", body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"  # a list is not a reason: ordinary validation


def test_the_import_endpoint_reports_deep_nesting_as_a_file_problem(small_kb, client_staff):
    # Spelling a NUL makes the parser look inside the file before kb.io does.
    body = obj('"format": "prepgraph/1"', '"x": "\\u0000"', '"y": ' + nested(950))
    response = client_staff.generic(
        "POST", "/api/v1/import/", body, content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "import_failed"
    assert error["details"]["problems"] == ["file: JSON is nested deeper than 64 levels"]


# --- chunked request bodies (prepgraph.wsgi_body) ---------------------------------------------


class Recorder:
    """A WSGI app that records the environ and body Django would have seen."""

    environ: dict[str, Any] | None = None
    body: bytes | None = None

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def chunked_environ(body: bytes, path: str = "/api/v1/plans/", **extra) -> dict[str, Any]:
    """What gunicorn hands the app for a chunked POST: the body de-chunked, no Content-Length."""
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **extra,
    }


def call(app, environ) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer["status"], answer["headers"], body


def test_a_chunked_body_reaches_the_app_with_its_length():
    inner = Recorder()
    status, _, _ = call(ChunkedBodyMiddleware(inner), chunked_environ(b'{"team": "x"}'))
    assert status == "200 OK"
    assert inner.body == b'{"team": "x"}'
    assert inner.environ["CONTENT_LENGTH"] == "13"
    assert "HTTP_TRANSFER_ENCODING" not in inner.environ


def test_a_body_with_a_content_length_passes_untouched():
    inner = Recorder()
    stream = io.BytesIO(b"{}")
    environ = chunked_environ(b"", CONTENT_LENGTH="2")
    del environ["HTTP_TRANSFER_ENCODING"]
    environ["wsgi.input"] = stream
    call(ChunkedBodyMiddleware(inner), environ)
    assert inner.environ["wsgi.input"] is stream
    assert inner.body == b"{}"


def test_a_chunked_body_over_the_limit_is_a_413_and_never_reaches_the_app(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    inner = Recorder()
    status, headers, body = call(ChunkedBodyMiddleware(inner), chunked_environ(b"x" * 101))
    assert status == "413 Request Entity Too Large"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "error": {
            "code": "request_too_large",
            "message": "The request body is larger than 100 bytes.",
            "details": {},
        }
    }
    assert inner.environ is None
    assert call(ChunkedBodyMiddleware(inner), chunked_environ(b"x" * 100))[0] == "200 OK"


@pytest.mark.parametrize("path", ["/api/v1/import/", "/api/v1/import"])
def test_the_import_endpoint_takes_chunked_bodies_up_to_its_own_limit(settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.API_IMPORT_MAX_BYTES = 1000
    inner = Recorder()
    token = {"HTTP_AUTHORIZATION": "Token abc"}
    big = chunked_environ(b"x" * 1000, path, **token)
    assert call(ChunkedBodyMiddleware(inner), big)[0] == "200 OK"
    assert len(inner.body) == 1000
    status, _, body = call(
        ChunkedBodyMiddleware(inner), chunked_environ(b"x" * 1001, path, **token)
    )
    assert status == "413 Request Entity Too Large"
    assert json.loads(body)["error"]["message"] == "The request body is larger than 1000 bytes."


def test_an_anonymous_chunked_body_gets_only_the_common_limit_before_authentication(settings):
    """The body is read before the view can say 401: a stranger must not make it buffer 16 MiB."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.API_IMPORT_MAX_BYTES = 1000
    inner = Recorder()
    status, _, _ = call(
        ChunkedBodyMiddleware(inner), chunked_environ(b"x" * 101, "/api/v1/import/")
    )
    assert status == "413 Request Entity Too Large" and inner.environ is None
    session = {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=abc"}
    allowed = chunked_environ(b"x" * 101, "/api/v1/import/", **session)
    assert call(ChunkedBodyMiddleware(inner), allowed)[0] == "200 OK"


def test_body_limits_follow_the_view_at_the_path(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.API_IMPORT_MAX_BYTES = 1000
    assert wsgi_body.body_limit("/api/v1/import/") == 1000
    assert wsgi_body.body_limit("/api/v1/plans/") == 100
    assert wsgi_body.body_limit("/admin/kb/concept/add/") == 100
    assert wsgi_body.body_limit("/no/such/page") == 100


def test_a_chunked_body_the_server_does_not_terminate_is_a_411():
    inner = Recorder()
    environ = chunked_environ(b"{}")
    del environ["wsgi.input_terminated"]  # runserver and wsgiref: reading to EOF could hang
    status, headers, body = call(ChunkedBodyMiddleware(inner), environ)
    assert status == "411 Length Required"
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "length_required"
    assert "Content-Length" in error["message"]
    assert inner.environ is None


def test_a_chunked_body_cut_off_mid_way_is_a_400():
    class Broken(io.BytesIO):
        def read(self, size=-1):
            raise OSError("client went away")

    status, _, body = call(
        ChunkedBodyMiddleware(Recorder()), chunked_environ(b"", **{"wsgi.input": Broken()})
    )
    assert status == "400 Bad Request"
    assert json.loads(body)["error"]["message"] == "The request body is incomplete."


def test_a_chunked_post_through_the_real_application_is_read(small_kb, staff_user, wsgi_ready):
    body = json.dumps({"from": "k-means", "to": "bert", "kind": "recommended"}).encode()
    environ = chunked_environ(
        body,
        "/api/v1/edges/",
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff_user).key}",
    )
    status, _, answer = call(application, environ)
    assert status.startswith("201"), answer
    assert Prerequisite.objects.filter(
        prerequisite__slug="k-means", concept__slug="bert", kind="recommended"
    ).exists()
