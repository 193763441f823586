"""Several web processes on one database and one Redis act as one site.

Each test runs the Procfile's `web` command twice: two real gunicorn servers, one worker
process each, on the test database. With REDIS_URL set (a Redis the test starts) a rate
count made through one server holds at the other; without it each server counts alone,
which is why a deployment with several web processes sets REDIS_URL. A KB write through
one server reaches the other's cached graph through the revision token in the database,
with no shared cache at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPMessage
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from prepgraph.settings import redis_cache_url
from tests.planner.faults import free_port, wait_for
from tests.planner.test_reminders_faults import (  # noqa: F401  (redis_server: a fixture)
    database_url,
    redis_server,
)

# The servers read what the test wrote: committed rows, not a test transaction.
servers_share_the_database = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parent.parent
ANON_PER_MINUTE = 3  # API_THROTTLE_ANON of the servers under test
SIGN_INS_PER_HOUR = 2  # RATE_SIGN_IN_USER of the servers under test


def procfile_command(process: str) -> str:
    for line in (REPO / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name == process:
            return command.strip()
    raise AssertionError(f"the Procfile has no {process!r} process")


@dataclass
class Reply:
    status: int
    headers: HTTPMessage
    body: str


class WebServer:
    """The Procfile's web command (gunicorn, one worker) on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        venv_bin = str(Path(sys.executable).parent)
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", procfile_command("web")],
            cwd=REPO,
            env={
                **env,
                "PATH": venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
                "PORT": str(self.port),
                "WEB_BIND": "127.0.0.1",
                "WEB_CONCURRENCY": "1",
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: sh, the master and its worker
        )

    def wait_ready(self) -> None:
        def answers() -> bool:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()}"
            try:
                return self.request("GET", "/static/vendor/VERSIONS").status == 200
            except OSError:
                return False

        assert wait_for(answers, timeout=30), f"gunicorn did not answer:\n{self.log.read_text()}"

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: str = ""
    ) -> Reply:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def signal(self, sig: signal.Signals) -> None:
        """`sig` to the whole process group: the shell, the gunicorn master, its worker."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stopped(self) -> bool:
        self.process.poll()  # reaps the shell: a zombie would keep its group "alive"
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False


def web_env(**extra: str) -> dict[str, str]:
    """A web process's environment: this one's, on the test database, production-like
    (DEBUG off, no https redirect), without its Redis unless `extra` names one."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "CACHE_URL", "DATABASE_URL", "DJANGO_DEBUG"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "prepgraph.settings",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        **extra,
    }
    return env


@pytest.fixture
def start_web_pair(tmp_path):
    """start(redis_url=None) -> two web servers on the test database (and that Redis)."""
    started: list[WebServer] = []

    def start(*, redis_url: str | None = None) -> tuple[WebServer, WebServer]:
        env = web_env(
            ALLOWED_HOSTS="127.0.0.1",
            API_THROTTLE_ANON=f"{ANON_PER_MINUTE}/minute",
            RATE_SIGN_IN_USER=f"{SIGN_INS_PER_HOUR}/h",
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        first, second = (WebServer(env, tmp_path / f"web{len(started) + i}.log") for i in (0, 1))
        started.extend((first, second))
        first.wait_ready()
        second.wait_ready()
        return first, second

    yield start
    stop(started)


def stop(servers: list[WebServer]) -> None:
    """TERM every server at once (each takes ~2 s to wind down), KILL any left after 15 s."""
    for server in servers:
        server.signal(signal.SIGTERM)
    if not wait_for(lambda: all(server.stopped() for server in servers), timeout=15):
        for server in servers:
            server.signal(signal.SIGKILL)
        assert wait_for(lambda: all(server.stopped() for server in servers), timeout=5)


def clear_of_a_minute_boundary(margin: float = 5.0) -> None:
    """Sleep past the next minute boundary when it is under `margin` seconds away.

    The API throttle estimates the last minute from this minute's count and the
    previous one's taken as evenly spread, so a burst that straddles a boundary is
    counted a little short and the request the test expects refused may pass."""
    left = 60.0 - time.time() % 60.0
    if left < margin:
        time.sleep(left + 0.05)


def api_index(server: WebServer) -> int:
    """An anonymous API request; its status."""
    return server.request("GET", "/api/v1/").status


def sign_in(server: WebServer, username: str) -> int:
    """A wrong-password POST to the sign-in form, with its CSRF token; the status."""
    page = server.request("GET", "/accounts/login/")
    cookie = next(
        value.split(";")[0]
        for value in page.headers.get_all("Set-Cookie", [])
        if value.startswith("csrftoken=")
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token, page.body
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": "not-it"}
    reply = server.request(
        "POST",
        "/accounts/login/",
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form),
    )
    return reply.status


@servers_share_the_database
def test_with_redis_the_rate_counts_of_one_web_process_hold_at_the_other(
    start_web_pair,
    redis_server,  # noqa: F811  (the fixture imported above)
):
    first, second = start_web_pair(redis_url=redis_server.url)

    clear_of_a_minute_boundary()
    assert [api_index(first) for _ in range(ANON_PER_MINUTE)] == [200] * ANON_PER_MINUTE
    assert api_index(second) == 429  # the other process has seen the first one's requests

    assert [sign_in(first, "ada") for _ in range(SIGN_INS_PER_HOUR)] == [200] * SIGN_INS_PER_HOUR
    assert sign_in(second, "ada") == 429
    assert sign_in(second, "grace") == 200  # per account: someone else still may

    # The counts are in the cache's own database, never in the broker's: clearing the
    # cache (FLUSHDB) must not drop Celery's queues.
    cache_db = redis.Redis.from_url(redis_cache_url(redis_server.url))
    broker_db = redis.Redis.from_url(redis_server.url)
    assert cache_db.keys("prepgraph:*")
    assert broker_db.dbsize() == 0


@servers_share_the_database
def test_without_redis_each_web_process_counts_alone(start_web_pair):
    first, second = start_web_pair()

    clear_of_a_minute_boundary()
    assert [api_index(first) for _ in range(ANON_PER_MINUTE + 1)] == [200] * ANON_PER_MINUTE + [429]
    assert api_index(second) == 200  # its own count: a site of N processes allows N times the rate


NEW_CONCEPT = {
    "slug": "layer-norm",
    "title": "Layer normalization",
    "area": "deep-learning",
    "hours": 1.5,
}


@servers_share_the_database
def test_a_kb_write_through_one_web_process_reaches_the_others_cached_graph(
    small_kb, start_web_pair
):
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    token = Token.objects.create(user=staff).key
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    writer, reader = start_web_pair()  # no Redis: the database alone carries the revision

    def learning_path(target: str) -> Reply:
        path = f"/api/v1/graph/learning-path/?targets={target}&known=softmax"
        return reader.request("GET", path, headers=auth)

    # The reader builds and caches the graph at the current revision.
    assert [step["slug"] for step in json.loads(learning_path("bert").body)["results"]] == [
        "linear-algebra",
        "self-attention",
        "transformer",
        "bert",
    ]
    assert learning_path("layer-norm").status == 400  # unknown concept

    created = writer.request(
        "POST", "/api/v1/concepts/", headers=auth, body=json.dumps(NEW_CONCEPT)
    )
    assert created.status == 201, created.body
    edge = {"from": "bert", "to": "layer-norm"}
    linked = writer.request("POST", "/api/v1/edges/", headers=auth, body=json.dumps(edge))
    assert linked.status == 201, linked.body

    after = learning_path("layer-norm")
    assert after.status == 200, after.body
    assert [step["slug"] for step in json.loads(after.body)["results"]] == [
        "linear-algebra",
        "self-attention",
        "transformer",
        "bert",
        "layer-norm",
    ]


# --- which cache the settings choose --------------------------------------------------------

SETTINGS_REPORT = """
import json
from prepgraph import settings as s
cache = s.CACHES["default"]
print(json.dumps([cache["BACKEND"].rsplit(".", 1)[1], cache.get("LOCATION"), s.CELERY_BROKER_URL]))
"""


def settings_with(**env: str) -> list[str | None]:
    """[cache backend class, its location, the Celery broker] of a fresh start with `env`."""
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_REPORT],
        cwd=REPO,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SECRET_KEY": settings.SECRET_KEY,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_redis_url_the_cache_is_per_process_and_needs_no_server():
    # The broker keeps its default address; the web process must not need that Redis.
    assert settings_with() == ["LocMemCache", None, "redis://127.0.0.1:6379/0"]
    assert settings_with(REDIS_URL="  ")[0] == "LocMemCache"


def test_redis_url_puts_the_cache_in_the_next_database_of_that_redis():
    assert settings_with(REDIS_URL="redis://queue.internal:6380/0") == [
        "FallbackRedisCache",
        "redis://queue.internal:6380/1",
        "redis://queue.internal:6380/0",
    ]


def test_cache_url_overrides_redis_url_for_the_cache_only():
    found = settings_with(REDIS_URL="redis://queue:6379/0", CACHE_URL="redis://counts:6379/4")
    assert found == ["FallbackRedisCache", "redis://counts:6379/4", "redis://queue:6379/0"]


@pytest.mark.parametrize(
    ("broker", "cache"),
    [
        ("redis://h:6379/0", "redis://h:6379/1"),
        ("redis://h:6379", "redis://h:6379/1"),
        ("redis://:secret@h:6379/3", "redis://:secret@h:6379/4"),
        ("rediss://h:6380/0?ssl_cert_reqs=required", "rediss://h:6380/1?ssl_cert_reqs=required"),
        ("redis://h:6379/0?db=2", "redis://h:6379/3"),  # redis-py: ?db= beats the path
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=3"),
    ],
)
def test_the_cache_database_is_the_one_after_the_brokers(broker, cache):
    assert redis_cache_url(broker) == cache


def test_a_broker_on_the_last_database_asks_for_a_cache_url():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="set CACHE_URL"):
        redis_cache_url("redis://h:6379/15")
