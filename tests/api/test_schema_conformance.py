"""One known-good request per operation, answered as the OpenAPI schema documents it.

The fuzz test (test_schemathesis) rarely hits a plan item or a staff write with
valid data; these cases do, through schemathesis' checks over the WSGI app, so
every success body is validated against the schema too. A new operation
without a case here fails `test_every_operation_has_a_known_good_request`.
"""

import json
from datetime import timedelta

import pytest
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kb.models import Prerequisite, Resource
from planner import services
from tests.api.conftest import make_user
from tests.small_kb import SMALL_KB

pytestmark = pytest.mark.django_db


def _soon(days: int) -> str:
    return (services.local_today("Europe/Berlin") + timedelta(days=days)).isoformat()


def _edge(world) -> int:
    return Prerequisite.objects.get(prerequisite__slug="softmax", concept__slug="self-attention").pk


# (method, path) -> who sends it, and a function of the seeded world giving the request parts.
CASES = {
    ("GET", "/api/v1/backgrounds/"): ("anon", lambda w: {}),
    ("GET", "/api/v1/backgrounds/{slug}/"): ("anon", lambda w: {"path": {"slug": "ml-engineer"}}),
    ("GET", "/api/v1/concepts/"): ("anon", lambda w: {"query": {"q": "attention"}}),
    ("POST", "/api/v1/concepts/"): (
        "staff",
        lambda w: {
            "body": {
                "slug": "layer-norm",
                "title": "Layer normalization",
                "aliases": ["layernorm"],
                "area": "deep-learning",
                "hours": 1.5,
                "difficulty": 2,
                "stages": ["ml-concepts"],
            }
        },
    ),
    ("GET", "/api/v1/concepts/{slug}/"): ("anon", lambda w: {"path": {"slug": "transformer"}}),
    ("PUT", "/api/v1/concepts/{slug}/"): (
        "staff",
        lambda w: {
            "path": {"slug": "k-means"},
            "body": {"slug": "k-means", "title": "k-means", "area": "fundamentals", "hours": 2},
        },
    ),
    ("PATCH", "/api/v1/concepts/{slug}/"): (
        "staff",
        lambda w: {"path": {"slug": "bert"}, "body": {"summary": "Bidirectional encoder."}},
    ),
    ("DELETE", "/api/v1/concepts/{slug}/"): ("staff", lambda w: {"path": {"slug": "k-means"}}),
    ("GET", "/api/v1/concepts/{slug}/prerequisites/"): (
        "anon",
        lambda w: {"path": {"slug": "transformer"}, "query": {"depth": 1}},
    ),
    ("GET", "/api/v1/concepts/{slug}/self-test/"): ("anon", lambda w: {"path": {"slug": "bert"}}),
    ("GET", "/api/v1/concepts/{slug}/dependents/"): (
        "anon",
        lambda w: {"path": {"slug": "softmax"}},
    ),
    ("GET", "/api/v1/edges/"): ("anon", lambda w: {"query": {"to": "bert"}}),
    ("POST", "/api/v1/edges/"): (
        "staff",
        lambda w: {"body": {"from": "k-means", "to": "bert", "kind": "recommended"}},
    ),
    ("GET", "/api/v1/edges/{id}/"): ("anon", lambda w: {"path": {"id": _edge(w)}}),
    ("PATCH", "/api/v1/edges/{id}/"): (
        "staff",
        lambda w: {"path": {"id": _edge(w)}, "body": {"reason": "Attention weights."}},
    ),
    ("DELETE", "/api/v1/edges/{id}/"): ("staff", lambda w: {"path": {"id": _edge(w)}}),
    ("GET", "/api/v1/feeds/{token}.ics"): (
        "anon",
        lambda w: {"path": {"token": w["plan"].feed_token}},
    ),
    ("GET", "/api/v1/graph/learning-path/"): (
        "anon",
        lambda w: {"query": {"targets": "bert", "known": "softmax"}},
    ),
    ("GET", "/api/v1/graph/next/"): ("user", lambda w: {"query": {"team": "llm-research"}}),
    ("GET", "/api/v1/graph/path/"): (
        "anon",
        lambda w: {"query": {"from": "softmax", "to": "bert"}},
    ),
    ("GET", "/api/v1/graph/subgraph/"): (
        "anon",
        lambda w: {"query": {"root": "transformer", "depth": 1, "format": "mermaid"}},
    ),
    ("POST", "/api/v1/import/"): (
        "staff",
        lambda w: {"query": {"dry_run": "true"}, "body": json.loads(json.dumps(SMALL_KB))},
    ),
    ("GET", "/api/v1/plans/"): ("user", lambda w: {}),
    ("POST", "/api/v1/plans/"): (
        "user",
        lambda w: {
            "body": {
                "team": "llm-research",
                "interview": _soon(21),
                "hours": "weekdays=2,weekends=4",
                "timezone": "Europe/Berlin",
                "known": ["softmax"],
                "background": "ml-engineer",
                "known_areas": ["nlp"],
                "shaky_areas": ["fundamentals"],
                "blackout": [_soon(3)],
            }
        },
    ),
    ("GET", "/api/v1/plans/{id}/"): ("user", lambda w: {"path": {"id": w["plan"].pk}}),
    ("DELETE", "/api/v1/plans/{id}/"): ("user", lambda w: {"path": {"id": w["plan"].pk}}),
    ("GET", "/api/v1/plans/{id}/calendar.ics"): (
        "user",
        lambda w: {"path": {"id": w["plan"].pk}},
    ),
    ("GET", "/api/v1/plans/{id}/feed/"): ("user", lambda w: {"path": {"id": w["plan"].pk}}),
    ("POST", "/api/v1/plans/{id}/feed/rotate/"): (
        "user",
        lambda w: {"path": {"id": w["plan"].pk}},
    ),
    ("PATCH", "/api/v1/plans/{id}/items/{item_id}/"): (
        "user",
        lambda w: {
            "path": {"id": w["plan"].pk, "item_id": w["plan"].items.first().pk},
            "body": {"status": "done"},
        },
    ),
    ("POST", "/api/v1/plans/{id}/items/{item_id}/rating/"): (
        "user",
        lambda w: {
            "path": {"id": w["plan"].pk, "item_id": w["plan"].items.filter(kind="learn")[0].pk},
            "body": {"rating": "good"},
        },
    ),
    ("POST", "/api/v1/plans/{id}/archive/"): ("user", lambda w: {"path": {"id": w["plan"].pk}}),
    ("DELETE", "/api/v1/plans/{id}/archive/"): ("user", lambda w: {"path": {"id": w["plan"].pk}}),
    ("POST", "/api/v1/plans/{id}/replan/"): (
        "user",
        lambda w: {"path": {"id": w["plan"].pk}, "body": {"interview": _soon(25)}},
    ),
    ("GET", "/api/v1/questions/"): ("anon", lambda w: {"query": {"stage": "ml-coding"}}),
    ("GET", "/api/v1/questions/{slug}/"): (
        "anon",
        lambda w: {"path": {"slug": "implement-attention"}},
    ),
    ("GET", "/api/v1/reminder-preferences/"): ("user", lambda w: {}),
    ("PUT", "/api/v1/reminder-preferences/"): (
        "user",
        lambda w: {
            "body": {
                "enabled": True,
                "email": False,
                "webhook_url": "https://example.org/hook",
                "local_time": "07:30",
                "timezone": "Europe/Berlin",
                "days_off": [5, 6],
            }
        },
    ),
    ("PATCH", "/api/v1/reminder-preferences/"): (
        "user",
        lambda w: {"body": {"webhook_url": None}},
    ),
    ("POST", "/api/v1/reminder-preferences/rotate-webhook-secret/"): ("user", lambda w: {}),
    ("POST", "/api/v1/reminder-preferences/revoke-links/"): ("user", lambda w: {}),
    ("GET", "/api/v1/resources/"): ("anon", lambda w: {"query": {"kind": "paper"}}),
    ("GET", "/api/v1/resources/{id}/"): (
        "anon",
        lambda w: {"path": {"id": Resource.objects.values_list("pk", flat=True).first()}},
    ),
    ("GET", "/api/v1/stages/"): ("anon", lambda w: {}),
    ("GET", "/api/v1/stages/{slug}/"): ("anon", lambda w: {"path": {"slug": "ml-coding"}}),
    ("GET", "/api/v1/teams/"): ("anon", lambda w: {}),
    ("GET", "/api/v1/teams/{slug}/"): ("anon", lambda w: {"path": {"slug": "llm-research"}}),
    ("GET", "/api/v1/tracks/"): ("anon", lambda w: {}),
    ("GET", "/api/v1/tracks/{slug}/"): ("anon", lambda w: {"path": {"slug": "nlp"}}),
}


@pytest.fixture
def api_schema(shared_openapi_schema, wsgi_ready, small_kb):
    return shared_openapi_schema


@pytest.fixture
def world(small_kb):
    user = make_user("planner")
    staff = make_user("editor", is_staff=True)
    plan = services.create_plan(
        owner=user,
        inputs=services.PlanInputs(
            team="llm-research", interview=services.local_today("UTC") + timedelta(days=14)
        ),
    )
    return {
        "plan": plan,
        "headers": {
            "anon": {},
            "user": {"Authorization": f"Token {Token.objects.create(user=user).key}"},
            "staff": {"Authorization": f"Token {Token.objects.create(user=staff).key}"},
        },
    }


def test_every_operation_has_a_known_good_request(api_schema):
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert operations == set(CASES)


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(*key, id=" ".join(key)) for key in sorted(CASES)]
)
def test_a_known_good_request_succeeds_and_matches_the_schema(api_schema, world, method, path):
    who, build = CASES[(method, path)]
    parts = build(world)
    operation = api_schema[path][method]
    case = operation.Case(
        path_parameters=parts.get("path"),
        query=parts.get("query"),
        **({"body": parts["body"]} if "body" in parts else {}),
    )
    response = case.call_and_validate(
        headers=world["headers"][who], excluded_checks=[positive_data_acceptance]
    )
    assert 200 <= response.status_code < 300, response.text
