"""A Redis outage degrades the shared cache to per-process counts; it never fails a request.

The README promises that plans never depend on Redis. The default cache (the API
throttles' and the account forms' rate counts, the API schema) lives in Redis when
REDIS_URL is set, so prepgraph.cache.FallbackRedisCache answers from each process's
memory while Redis fails, tries Redis again at most every CACHE_RETRY_SECONDS, and
goes back to it once it answers. Tested on a real redis-server the test starts, kills
and restarts: first the backend on its own, then two gunicorns from the Procfile.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache.backends.redis import RedisCache
from rest_framework.authtoken.models import Token

from prepgraph import cache as fallback_cache
from prepgraph.cache import FallbackRedisCache
from prepgraph.settings import redis_cache_url
from tests.planner.faults import free_port, wait_for
from tests.planner.test_reminders_faults import redis_server  # noqa: F401  (a fixture)
from tests.test_scale_out import WebServer, sign_in, stop, web_env

yaml = pytest.importorskip("yaml")

RETRY_SECONDS = 0.5


def make_cache(url: str, retry: float = RETRY_SECONDS) -> FallbackRedisCache:
    """The backend as settings.CACHES builds it, on `url`."""
    return FallbackRedisCache(
        url,
        {
            "KEY_PREFIX": "t",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "fallback_retry_seconds": retry,
            },
        },
    )


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "prepgraph.cache" and record.levelno == logging.WARNING
    ]


@pytest.fixture
def tries(monkeypatch) -> list[str]:
    """The calls that reached Redis (or tried to): RedisCache's own methods."""
    seen: list[str] = []
    for name in ("get", "add", "incr", "set"):
        original = getattr(RedisCache, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            seen.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(RedisCache, name, spy)
    return seen


def count_like_ratelimit(cache: FallbackRedisCache, key: str) -> int:
    """django-ratelimit's counting: add the key at 1, else increment it."""
    if cache.add(key, 1, 60):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        return 1


def test_a_dead_redis_is_replaced_by_process_memory_then_taken_back(
    redis_server,  # noqa: F811  (the fixture imported above)
    caplog,
    tries,
):
    caplog.set_level(logging.WARNING, logger="prepgraph.cache")
    cache = make_cache(redis_server.url)
    direct = redis.Redis.from_url(redis_server.url)
    assert [count_like_ratelimit(cache, "sign-in") for _ in range(2)] == [1, 2]
    assert direct.get("t:1:sign-in") == b"2"  # in Redis, where every process counts

    redis_server.kill()
    started = time.monotonic()
    counts = [count_like_ratelimit(cache, "sign-in") for _ in range(200)]
    assert time.monotonic() - started < 2  # a refused connection fails at once
    assert counts == list(range(1, 201))  # limits still count, in this process
    assert cache.is_down
    assert cache.get("missing", "default") == "default"
    assert cache.set("schema", {"openapi": "3"}) is None
    assert cache.get("schema") == {"openapi": "3"}
    # One try reached for Redis (the one that found it dead), not 400.
    assert len(tries) <= 4, tries
    (warning,) = warnings_of(caplog)  # one line, not one per call
    assert "Rate limits count in this process only" in warning

    # Dead for longer: at most one try per interval, still one line in the log.
    tries.clear()
    deadline = time.monotonic() + 3 * RETRY_SECONDS
    calls = 0
    while time.monotonic() < deadline:
        cache.get("schema")
        calls += 1
        time.sleep(0.005)
    assert calls > 100
    assert 1 <= len(tries) <= 5, tries
    assert len(warnings_of(caplog)) == 1

    redis_server.start()  # same port, empty (no persistence)
    assert wait_for(lambda: count_like_ratelimit(cache, "sign-in") == 1 and not cache.is_down)
    assert direct.get("t:1:sign-in") == b"1"  # counting in Redis again
    assert cache.get("schema") is None  # what memory held is not served any more
    assert "answers again" in warnings_of(caplog)[-1]


def test_a_hanging_redis_costs_one_short_timeout_per_interval(caplog):
    caplog.set_level(logging.WARNING, logger="prepgraph.cache")
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        cache = make_cache(f"redis://127.0.0.1:{silent.getsockname()[1]}/1", retry=60)

        started = time.monotonic()
        assert cache.get("key", "default") == "default"
        first = time.monotonic() - started
        assert 0.4 <= first < 2, first  # socket_timeout, not the default 5 s or forever

        started = time.monotonic()
        for _ in range(100):
            cache.set("key", 1)
            cache.get("key")
        assert time.monotonic() - started < 0.5  # memory only until the retry time
    assert "Timeout" in warnings_of(caplog)[0]


def test_the_log_lines_are_rate_limited_and_hide_the_password(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="prepgraph.cache")
    monkeypatch.setattr(fallback_cache, "LOG_EVERY_SECONDS", 0.3)
    cache = make_cache(f"redis://:hunter2-secret@127.0.0.1:{free_port()}/1", retry=0.05)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        cache.get("key")
        time.sleep(0.002)
    lines = warnings_of(caplog)
    assert 2 <= len(lines) <= 5, lines  # the first, then one each 0.3 s while it lasts
    assert "still fails" in lines[-1]
    assert all("hunter2" not in line and "***@127.0.0.1" in line for line in lines)


def test_settings_choose_the_fallback_backend_with_short_timeouts():
    code = (
        "import json; from prepgraph import settings as s; print(json.dumps(s.CACHES['default']))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY": settings.SECRET_KEY,
        "REDIS_URL": "redis://queue:6379/0",
        "CACHE_RETRY_SECONDS": "2.5",
    }
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 0, found.stderr
    cache = json.loads(found.stdout)
    assert cache["BACKEND"] == "prepgraph.cache.FallbackRedisCache"
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1
    assert cache["OPTIONS"]["fallback_retry_seconds"] == 2.5


# --- two real web processes -----------------------------------------------------------------

SIGN_INS_PER_HOUR = 2
SERVER_RETRY_SECONDS = 1


@pytest.fixture
def start_webs(tmp_path):
    """start(redis_url) -> two Procfile gunicorns on the test database and that Redis."""
    started: list[WebServer] = []

    def start(redis_url: str) -> tuple[WebServer, WebServer]:
        env = web_env(
            ALLOWED_HOSTS="prepgraph.example.com,127.0.0.1",
            REDIS_URL=redis_url,
            RATE_SIGN_IN_USER=f"{SIGN_INS_PER_HOUR}/h",
            CACHE_RETRY_SECONDS=str(SERVER_RETRY_SECONDS),
            LOG_LEVEL="WARNING",
        )
        pair = tuple(WebServer(env, tmp_path / f"web{i}.log") for i in (0, 1))
        started.extend(pair)
        for server in pair:
            server.wait_ready()
        return pair

    yield start
    stop(started)


def health_check(server: WebServer) -> int:
    """compose.yaml's web health check, pointed at `server`; its exit status."""
    compose = yaml.safe_load((settings.BASE_DIR / "compose.yaml").read_text())
    script = compose["services"]["web"]["healthcheck"]["test"][3]
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    return subprocess.run(
        [sys.executable, "-c", script],
        env={"ALLOWED_HOSTS": "prepgraph.example.com", "PATH": os.environ["PATH"]},
        capture_output=True,
        timeout=30,
    ).returncode


def fallback_lines(server: WebServer) -> list[str]:
    return [line for line in server.log.read_text().splitlines() if "shared cache" in line]


@pytest.mark.django_db(transaction=True)  # the servers read committed rows
def test_with_redis_down_the_api_and_sign_in_answer_and_limits_hold_per_process(
    start_webs,
    redis_server,  # noqa: F811  (the fixture imported above)
):
    user = get_user_model().objects.create_user("ada", password="not-guessed-at-all")
    token = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    first, second = start_webs(redis_server.url)
    assert first.request("GET", "/api/v1/").status == 200  # Redis up: the ordinary path

    redis_server.kill()
    started = time.monotonic()
    for server in (first, second):
        for _ in range(5):
            assert server.request("GET", "/api/v1/").status == 200
            assert server.request("GET", "/api/v1/concepts/").status == 200
            assert server.request("GET", "/api/v1/plans/", headers=token).status == 200
        assert health_check(server) == 0  # compose keeps web healthy
    assert time.monotonic() - started < 20  # no request waited on Redis
    # Sign-in answers, and its limit still holds, counted by each process alone.
    assert [sign_in(first, "grace") for _ in range(3)] == [200, 200, 429]
    assert sign_in(second, "grace") == 200
    for server in (first, second):
        lines = fallback_lines(server)
        assert len(lines) == 1, lines  # one warning per process, not one per request
        assert "count in this process only" in lines[0]

    redis_server.start()  # same port, empty
    time.sleep(SERVER_RETRY_SECONDS + 0.2)
    for server in (first, second):  # the next request of each process finds Redis back
        assert server.request("GET", "/api/v1/").status == 200
        assert "answers again" in fallback_lines(server)[-1]
    # Shared again: what one process counts holds at the other.
    assert [sign_in(first, "linus") for _ in range(SIGN_INS_PER_HOUR)] == [200, 200]
    assert sign_in(second, "linus") == 429
    assert redis.Redis.from_url(redis_cache_url(redis_server.url)).keys("prepgraph:*")
