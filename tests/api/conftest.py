import json

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from prepgraph.wsgi import application

# Tests make many requests quickly; test_throttling lowers these to see a 429.
TEST_RATES = {"anon": "100000/minute", "user": "100000/minute"}


def throttle_rates(settings, *, anon: str, user: str) -> None:
    """Set the API's throttle rates for this test, the counts so far forgotten."""
    rates = {"anon": anon, "user": user}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cache.clear()  # throttle counts live in the cache


@pytest.fixture(autouse=True)
def _generous_throttle(settings):
    throttle_rates(settings, **TEST_RATES)
    yield
    cache.clear()


def make_user(username: str, **extra):
    """A user without a usable password (hashing one costs ~0.2 s; tests use tokens or
    force_login)."""
    extra.setdefault("email", f"{username}@example.org")  # email reminders need an address
    return get_user_model().objects.create_user(username=username, **extra)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def anon(db) -> APIClient:
    return APIClient()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def staff_user(db):
    return make_user("staff", is_staff=True)


@pytest.fixture
def client_alice(alice) -> APIClient:
    return token_client(alice)


@pytest.fixture
def client_bob(bob) -> APIClient:
    return token_client(bob)


@pytest.fixture
def client_staff(staff_user) -> APIClient:
    return token_client(staff_user)


def error_of(response) -> dict:
    """The error envelope's inner object, checking the envelope's shape on the way."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


# --- schemathesis over the WSGI app ---------------------------------------------------------


@pytest.fixture(scope="session")
def raw_openapi_schema() -> dict:
    """The schema /api/schema/ serves, generated once per test run (it has no data in it)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def load_openapi_schema(raw: dict):
    """A schemathesis schema whose requests go in process to Django's real WSGI app."""
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = application
    return schema


@pytest.fixture(scope="session")
def shared_openapi_schema(raw_openapi_schema):
    return load_openapi_schema(raw_openapi_schema)  # ~0.3 s to load: once


@pytest.fixture
def wsgi_ready(settings):
    """Let schemathesis' WSGI requests reach the app inside the test's transaction."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    # The WSGI handler closes "old" connections around each request, which would end the
    # test's transaction; Django's own test client switches this off the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _public_example_hosts(public_dns):
    """Webhook URLs in API examples (example.org) resolve to a public address here too."""
