"""Authentication, throttling, production settings and the published schema."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.conftest import error_of, throttle_rates

BASE_DIR = Path(django_settings.BASE_DIR)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_drf_create_token_prints_a_token_that_authenticates(alice):
    out = StringIO()
    call_command("drf_create_token", "alice", stdout=out)
    key = Token.objects.get(user=alice).key
    assert key in out.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/reminder-preferences/").status_code == 200


@pytest.mark.django_db
def test_a_session_works_and_unsafe_requests_need_the_csrf_token(small_kb, alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/plans/").status_code == 200
    response = client.patch("/api/v1/reminder-preferences/", {"email": False}, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


# --- throttling -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_clients_over_the_rate_get_a_429_with_the_envelope(small_kb, settings):
    throttle_rates(settings, anon="2/minute", user="1000/minute")
    client = APIClient()
    assert [client.get("/api/v1/concepts/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/concepts/")
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "throttled"
    assert 0 < error["details"]["wait"] <= 60
    assert int(response["Retry-After"]) == error["details"]["wait"]


@pytest.mark.django_db
def test_signed_in_users_have_their_own_rate(small_kb, settings, client_alice, client_bob):
    throttle_rates(settings, anon="1000/minute", user="1/minute")
    assert client_alice.get("/api/v1/plans/").status_code == 200
    assert client_alice.get("/api/v1/plans/").status_code == 429
    assert client_bob.get("/api/v1/plans/").status_code == 200


@pytest.mark.django_db
def test_anonymous_clients_are_held_to_the_anonymous_rate_alone(small_kb, settings):
    throttle_rates(settings, anon="3/minute", user="1/minute")
    client = APIClient()
    assert [client.get("/api/v1/concepts/").status_code for _ in range(4)] == [200] * 3 + [429]


def test_throttle_rates_come_from_the_environment():
    env = {**os.environ, "API_THROTTLE_ANON": "7/hour", "API_THROTTLE_USER": "70/minute"}
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    )
    result = run_python(script, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'anon': '7/hour', 'user': '70/minute'}"


def test_a_malformed_throttle_rate_stops_the_start():
    result = run_python(
        "import django; django.setup()", {**os.environ, "API_THROTTLE_USER": "lots"}
    )
    assert result.returncode != 0
    assert "API_THROTTLE_USER must look like 100/minute" in result.stderr


# --- production settings ----------------------------------------------------------------------


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    env = {**env, "DJANGO_SETTINGS_MODULE": "prepgraph.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    return {
        **env,
        "DJANGO_DEBUG": "false",
        "ALLOWED_HOSTS": "prepgraph.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://prepgraph.example.com",
        # Without a mail server the deploy check warns (prepgraph.W001).
        "EMAIL_HOST": "smtp.example.com",
        **extra,
    }


def test_production_refuses_to_start_with_the_placeholder_secret_key():
    placeholder = "change-me-to-a-long-random-string"  # what .env.example says
    result = manage("check", env=production_env(SECRET_KEY=placeholder))
    assert result.returncode != 0
    assert "SECRET_KEY is a published placeholder" in result.stderr


def test_the_deploy_check_passes_with_a_generated_key_file(tmp_path):
    env = production_env(SECRET_KEY_FILE=str(tmp_path / "secret_key"))
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len((tmp_path / "secret_key").read_text().strip()) >= 50


def test_the_deploy_check_passes_with_production_settings():
    secret = "p7Qz-" + "x9Lk2mVb8Nw4Rt6Yh1Jc3Fd5Gs0Ae7Uo" + "iK8pL2qW4eR6tY8u"
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY=secret)
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the OpenAPI schema -----------------------------------------------------------------------


def test_the_schema_validates_without_a_single_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"


@pytest.mark.django_db
def test_the_schema_is_served_and_documents_the_error_envelope_everywhere(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    method,
                    path,
                    status,
                )
    security = schema["paths"]["/api/v1/concepts/"]["get"]["security"]
    assert {} in security and {"tokenAuth": []} in security
    assert {} not in schema["paths"]["/api/v1/concepts/"]["post"]["security"]
    assert {} not in schema["paths"]["/api/v1/plans/"]["get"]["security"]


@pytest.mark.django_db
def test_the_rendered_schema_is_kept_in_the_process_not_in_the_shared_cache(anon):
    caches["schema"].clear()
    first = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert caches["schema"]._cache  # the process's own memory holds it...
    again = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert again.content == first.content
    # ...and a deploy's restart (a new process: an empty memory) renders the new schema.
    assert django_settings.CACHES["schema"]["BACKEND"].endswith("LocMemCache")


@pytest.mark.django_db
def test_the_browsable_schema_ui_serves_its_assets_locally(anon):
    response = anon.get("/api/schema/swagger-ui/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert anon.get("/api/schema/redoc/").status_code == 200
