import json

import pytest
from django.conf import settings

from kb import graph as kb_graph
from kb import io
from tests.small_kb import SMALL_KB

# DEBUG is off by default, so prepgraph.settings redirects every plain-http request to
# https; the test client and schemathesis' WSGI calls speak http. Set here, at import,
# before any test module builds a WSGI handler (SecurityMiddleware reads it once).
settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _fresh_rate_counts(monkeypatch):
    """Rate-limit counts live in the cache: every test starts with none used.

    The API throttles read a still clock (at the start of a minute window, where no
    previous window's count weighs): they estimate the last window from this one's
    count and the previous one's, so a burst that straddled a real boundary would be
    counted short and a test's expected 429 pass. Tests of the windows themselves move
    their own clock (tests/api/test_throttling.py).
    """
    from django.core.cache import cache

    from api.throttling import SlidingWindowThrottle

    monkeypatch.setattr(SlidingWindowThrottle, "timer", lambda self: 6_000_000.0)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    """Each test starts with an empty process cache, as a new worker process would."""
    kb_graph.clear_cache()
    yield
    kb_graph.clear_cache()


@pytest.fixture
def small_kb(db):
    """SMALL_KB imported through kb.io, as a user would import a file."""
    io.import_text(json.dumps(SMALL_KB))
    return SMALL_KB


@pytest.fixture
def public_dns(monkeypatch):
    """Names under example.org/.com resolve to a public address (this machine has no DNS)."""
    import socket

    from planner import webhooks

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(("example.org", "example.com")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)


def pytest_sessionfinish(session, exitstatus):
    """Django deletes the SQLite test database, not the write-ahead log beside it."""
    from pathlib import Path

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if sqlite and name and not Path(name).exists():
        for suffix in ("-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
