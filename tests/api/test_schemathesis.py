"""A real OpenAPI client fuzzes every operation of the schema, in process over WSGI.

Generated requests, valid and invalid, go to the Django WSGI app with a normal
user's token, over a database seeded with the small KB and one plan of that
user. No response may be a server error, and each must match what the schema
documents: status code, content type, headers and body.

Random slugs and ids almost never name a stored row, so hooks point about half
of the schema-valid ones at real rows (the user's plan and its items, real
concepts, tracks, ...): the happy paths run too, and their bodies are checked
against the schema. The request examples in the schema (a plan for the
llm-research team, ...) are sent as well.

`positive_data_acceptance` is left out on purpose: input the schema allows can
still be refused by design with a 400 (an unknown concept slug, an interview
in the past), as the issue asks.
"""

import re
from datetime import timedelta

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kb.models import Prerequisite, Resource
from planner import services
from tests.api.conftest import load_openapi_schema, make_user

MAX_EXAMPLES = 25
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PATH_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # as the schema documents a slug in a path
TOKEN = re.compile(r"[-A-Za-z0-9_]{1,64}")
SLUG_LIST = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*(?:,[a-z0-9]+(?:-[a-z0-9]+)*)*)?")
# Query parameters that name KB rows, and a row of the small KB for each.
REAL_QUERY_VALUES = {
    "targets": "bert",
    "known": "softmax",
    "from": "softmax",
    "to": "bert",
    "root": "transformer",
    "track": "nlp",
    "team": "llm-research",
    "concept": "self-attention",
    "stage": "ml-coding",
}
REAL_PATH_SLUGS = {
    "backgrounds": "ml-engineer",
    "concepts": "transformer",
    "questions": "implement-attention",
    "stages": "ml-coding",
    "teams": "llm-research",
    "tracks": "nlp",
}


def _matches(pattern: re.Pattern, value) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _map(drawn, function, ctx):
    """Apply `function` to a drawn value, keeping schemathesis' wrapper (and its metadata)."""
    if hasattr(drawn, "map_value"):
        return drawn.map_value(lambda value: function(ctx, value))
    return function(ctx, drawn)


@pytest.fixture
def fuzzer(small_kb):
    """The fuzzing user, their plan, and a second plan that DELETE requests may remove."""
    user = make_user("fuzzer")
    make_user("editor", is_staff=True)
    inputs = services.PlanInputs(
        team="llm-research", interview=services.local_today("UTC") + timedelta(days=20)
    )
    plan = services.create_plan(owner=user, inputs=inputs)
    doomed = services.create_plan(owner=user, inputs=inputs)
    return user, plan, doomed


def _token_header(user) -> dict:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def user_header(fuzzer):
    return _token_header(fuzzer[0])


@pytest.fixture
def staff_header(fuzzer):
    return _token_header(get_user_model().objects.get(username="editor"))


@pytest.fixture
def api_schema(raw_openapi_schema, wsgi_ready, fuzzer):
    _, plan, doomed = fuzzer
    real_ids = {
        "plans": plan.pk,
        "edges": Prerequisite.objects.values_list("pk", flat=True).first(),
        "resources": Resource.objects.values_list("pk", flat=True).first(),
    }
    item_id = plan.items.values_list("pk", flat=True).first()
    schema = load_openapi_schema(raw_openapi_schema)  # its own: the hooks below are per schema

    def real_path_parameters(ctx, path_parameters):
        if not path_parameters:
            return path_parameters
        resource = ctx.operation.path.split("/")[3]  # /api/v1/<resource>/...
        mapped = dict(path_parameters)
        for name, value in path_parameters.items():
            if name == "id" and isinstance(value, int) and resource in real_ids:
                deleting_plan = resource == "plans" and ctx.operation.method.upper() == "DELETE"
                mapped[name] = doomed.pk if deleting_plan else real_ids[resource]
            elif name == "item_id" and isinstance(value, int):
                mapped[name] = item_id
            elif name == "slug" and _matches(PATH_SLUG, value) and resource in REAL_PATH_SLUGS:
                mapped[name] = REAL_PATH_SLUGS[resource]
            elif name == "token" and _matches(TOKEN, value):
                plan.refresh_from_db(fields=["feed_token"])  # rotated by the fuzzing itself
                mapped[name] = plan.feed_token
        return mapped

    def real_query(ctx, query):
        if not query:
            return query
        mapped = dict(query)
        for name, value in query.items():
            pattern = SLUG_LIST if name in ("targets", "known") else SLUG
            if name in REAL_QUERY_VALUES and _matches(pattern, value):
                mapped[name] = REAL_QUERY_VALUES[name]
        return mapped

    # Either what was generated, or the same with its valid slugs and ids pointing at real
    # rows. Only values of the right type are replaced, so invalid requests stay invalid.
    @schema.hook
    def before_generate_path_parameters(ctx, strategy):
        return strategy | strategy.map(lambda drawn: _map(drawn, real_path_parameters, ctx))

    @schema.hook
    def before_generate_query(ctx, strategy):
        return strategy | strategy.map(lambda drawn: _map(drawn, real_query, ctx))

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: CI is not flaky
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_generated_requests_as_its_schema_says(case, user_header):
    case.call_and_validate(headers=user_header, excluded_checks=[positive_data_acceptance])


@schema.include(
    method=["POST", "PUT", "PATCH", "DELETE"], path_regex=r"^/api/v1/(concepts|edges|import)"
).parametrize()
@FUZZ_SETTINGS
def test_staff_writes_to_the_knowledge_base_answer_as_their_schema_says(case, staff_header):
    """The same for KB writes, which a normal user only ever sees refused with a 403."""
    case.call_and_validate(headers=staff_header, excluded_checks=[positive_data_acceptance])
