"""The deployment files say what the README promises: Procfile, compose.yaml, Dockerfile.

There is no Docker on the development machines or in CI, so compose.yaml is checked as data
(PyYAML, which drf-spectacular brings): the services, their health checks, restart policies
and start order, and that every variable it hands the app is one the settings read. The web
health check itself runs against a real gunicorn configured as in production.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.planner.faults import wait_for
from tests.planner.test_reminders_faults import database_url
from tests.test_scale_out import WebServer, procfile_command, stop

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat", "postgres", "redis")
# Read by the commands in compose.yaml (gunicorn, celery), not by the settings.
COMMAND_VARIABLES = {"WEB_CONCURRENCY", "WORKER_CONCURRENCY"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def settings_variables() -> set[str]:
    """Every environment variable prepgraph/settings.py reads."""
    source = (REPO / "prepgraph" / "settings.py").read_text()
    reads = (
        r"(?:os\.environ\.get|os\.environ\[|env_bool|env_list|env_int|env_rate|env_float)"
        r'\(?\s*"([A-Z_]+)"'
    )
    return set(re.findall(reads, source))


def test_the_procfile_runs_gunicorn_on_port_a_worker_and_exactly_one_beat():
    processes = [
        line.split(":", 1)[0]
        for line in (REPO / "Procfile").read_text().splitlines()
        if re.match(r"[A-Za-z0-9_-]+:", line)
    ]
    assert sorted(processes) == ["beat", "web", "worker"]
    assert procfile_command("web").startswith("gunicorn prepgraph.wsgi:application ")
    # Loopback unless told otherwise: the site trusts X-Forwarded-Proto from any client.
    assert '--bind "${WEB_BIND:-127.0.0.1}:${PORT:-8000}"' in procfile_command("web")
    assert procfile_command("worker").startswith("celery -A prepgraph worker ")
    assert procfile_command("beat").startswith("celery -A prepgraph beat ")
    honcho = Path(sys.executable).parent / "honcho"
    checked = subprocess.run(
        [str(honcho), "check"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    assert "Valid procfile detected (web, worker, beat)" in checked.stderr + checked.stdout


def test_compose_has_the_app_postgres_and_redis_with_health_checks(compose):
    services = compose["services"]
    assert set(services) == {*APP_SERVICES, "postgres", "redis"}
    # Exact versions: an image that changes under the same tag is an unplanned upgrade.
    assert re.fullmatch(r"postgres:15\.\d+-bookworm", services["postgres"]["image"])
    assert re.fullmatch(r"redis:7\.\d+\.\d+-bookworm", services["redis"]["image"])
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/api/v1/" in web_check
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"  # a one-shot: done is done


def test_compose_starts_the_app_only_on_a_migrated_healthy_database(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    # The deployment checks first (they name a missing EMAIL_HOST), then the migration.
    assert services["migrate"]["command"] == [
        "sh",
        "-c",
        "python manage.py check --deploy && python manage.py migrate --no-input",
    ]
    # The database outlives the containers.
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "postgres-data" in compose["volumes"]
    # One beat: nothing in the file asks for more.
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]


def test_compose_hands_the_app_only_variables_it_reads(compose):
    known = settings_variables() | COMMAND_VARIABLES
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert set(environment) <= known, (name, set(environment) - known)
        # Shared rate counts across web processes, one key on every container.
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/prepgraph")


def test_compose_passes_every_setting_of_an_optional_env_file(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == [{"path": ".env", "required": False}], name
        # The explicit ones stay: required (compose stops without them) or compose's own.
        for required in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL"):
            assert service["environment"][required].startswith(f"${{{required}:?"), required
    # Beat's state file stays in its volume whatever .env says.
    beat = compose["services"]["beat"]
    assert beat["environment"]["CELERY_BEAT_SCHEDULE_FILENAME"].startswith("/var/lib/prepgraph/")
    assert "beat-state:/var/lib/prepgraph" in beat["volumes"]


def test_compose_rotates_every_log_and_beat_logs_at_log_level(compose):
    for name, service in compose["services"].items():
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert re.fullmatch(r"\d+m", logging["options"]["max-size"]), name
        assert int(logging["options"]["max-file"]) >= 2, name
    for name in ("worker", "beat"):
        command = " ".join(compose["services"][name]["command"])
        assert '--loglevel "$${LOG_LEVEL:-info}"' in command, name
    web = " ".join(compose["services"]["web"]["command"])
    assert "--bind 0.0.0.0:8000" in web  # inside the container; the host publishes WEB_PUBLISH


def documented_in_env_example() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, re.M))


def documented_in_readme_settings() -> set[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    return set(re.findall(r"`([A-Z][A-Z0-9_]*)`", table))


def test_every_variable_the_settings_read_is_in_env_example_and_the_readme():
    read = settings_variables()
    assert len(read) > 40  # the pattern still finds them
    assert read - documented_in_env_example() == set()
    assert read - documented_in_readme_settings() == set()
    # And the ones only the process files read.
    others = COMMAND_VARIABLES | {"PORT", "WEB_BIND", "POSTGRES_PASSWORD", "WEB_PUBLISH"}
    assert others - documented_in_env_example() == set()
    assert others - documented_in_readme_settings() == set()


def test_env_example_sets_no_value_a_deployment_must_not_keep():
    text = (REPO / ".env.example").read_text()
    active = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, re.M))
    assert active["DJANGO_DEBUG"] == "false"
    assert active["SECRET_KEY"] == "change-me-to-a-long-random-string"  # refused at start
    # Compose's URLs must not be overridden by a copied example.
    assert "DATABASE_URL" not in active and "REDIS_URL" not in active


def test_the_image_runs_as_an_unprivileged_user_without_local_secrets():
    dockerfile = (REPO / "Dockerfile").read_text()
    # pyproject: Python 3.11; an exact patch release and Debian release.
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", dockerfile, re.M)
    assert "pip install --no-input -r requirements.txt" in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert not re.search(r"^ENV .*SECRET_KEY", dockerfile, re.M)  # no key baked in
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for secret_or_state in (".secret_key", ".env", "*.sqlite3", ".venv", ".git"):
        assert secret_or_state in ignored


@pytest.mark.django_db(transaction=True)
def test_the_web_health_check_passes_on_a_production_configured_server(compose, tmp_path):
    """DEBUG off, https redirect on, a public host name: the check must still get a 200."""
    check = compose["services"]["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "CACHE_URL", "DJANGO_DEBUG", "SECURE_SSL_REDIRECT"}
    }
    env |= {
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": "prepgraph.example.com,127.0.0.1",
        "SECRET_KEY": "Zq8-vT2mLx0pW7nRk4sYb6cHj1dF9gAe3uVo5iN_yE0wQ2rT",
    }
    server = WebServer(env, tmp_path / "web.log")
    try:
        assert wait_for(lambda: answers(server), timeout=30), server.log.read_text()
        plain = server.request("GET", "/api/v1/", headers={"Host": "prepgraph.example.com"})
        assert plain.status == 301  # so a check without X-Forwarded-Proto would fail

        def run_check(allowed_hosts: str) -> int:
            script = check[3].replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
            return subprocess.run(
                [sys.executable, "-c", script],
                env={"ALLOWED_HOSTS": allowed_hosts, "PATH": env["PATH"]},
                capture_output=True,
                timeout=30,
            ).returncode

        assert run_check("prepgraph.example.com,127.0.0.1") == 0
        assert run_check("elsewhere.example.com") != 0  # a host Django refuses: unhealthy
    finally:
        stop([server])


def answers(server: WebServer) -> bool:
    try:
        server.request("GET", "/api/v1/")
    except OSError:
        return False
    return True
