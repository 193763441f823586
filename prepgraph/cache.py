"""The shared cache (Redis) with a per-process fallback for when Redis cannot be reached.

The default cache holds the API throttles' and the account forms' rate counts and the
cached API schema: nothing a request cannot do without. A plain RedisCache raises on
every call while Redis is down, so every /api/v1/ request and every sign-in would
answer 500 although plans never need Redis. This backend answers from an in-memory
cache of its own process instead: limits still hold, per process, as on a laptop
without REDIS_URL.

While Redis is down a process tries it again at most once every `fallback_retry_seconds`
(one request pays for the try, the others go straight to memory), so a dead or hanging
Redis costs at most one short socket timeout per process per interval. It logs one
warning when it falls back, at most one a minute while Redis stays away, and one when
Redis answers again; it then uses Redis again and drops what it kept in memory, so a
later outage never serves values from the one before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 5.0
# While Redis stays down, one "still unreachable" line per process this often, at most.
LOG_EVERY_SECONDS = 60.0
# The rate counts of one process are keyed by client address and user: more keys than
# LocMemCache's default 300 (over which it drops a third of them, and their counts).
FALLBACK_MAX_ENTRIES = 10_000

T = TypeVar("T")


class _Health:
    """One process's view of one Redis location, shared by its threads.

    Django keeps one cache object per thread, so this lives at module level (one per
    location) for every thread of the process to agree on whether Redis is down.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None  # time.monotonic() of the first failure
        self.retry_at = 0.0  # no try of Redis before this, while it is down
        self.logged_at = 0.0


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _health_of(location: str) -> _Health:
    with _health_lock:
        return _health.setdefault(location, _Health())


class FallbackRedisCache(RedisCache):
    """Django's RedisCache that answers from a per-process LocMemCache while Redis fails.

    OPTIONS are RedisCache's (passed to redis-py's connection pool) plus
    `fallback_retry_seconds`: how long a process stays on its memory before trying
    Redis again. Keep socket_connect_timeout and socket_timeout short: they bound what
    the one request that tries a hanging Redis waits.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("fallback_retry_seconds", DEFAULT_RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.location = ",".join(self._servers)
        self._state = _health_of(self.location)
        # LocMemCache keeps its data per name at module level: every thread (each has
        # its own cache object) shares one memory per process.
        self._fallback = LocMemCache(
            f"prepgraph-fallback:{self.location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    # --- the switch ------------------------------------------------------------------

    @property
    def is_down(self) -> bool:
        """True while this process answers from memory."""
        return self._state.down_since is not None

    def _try_redis(self) -> bool:
        """Whether this call may go to Redis: always while it is up; while it is down,
        only the first call after the retry time (the others keep to memory meanwhile)."""
        state = self._state
        if state.down_since is None:
            return True
        with state.lock:
            now = time.monotonic()
            if state.down_since is None:
                return True
            if now < state.retry_at:
                return False
            state.retry_at = now + self.retry_seconds
            return True

    def _failed(self, exc: redis.RedisError) -> None:
        state = self._state
        with state.lock:
            now = time.monotonic()
            state.retry_at = now + self.retry_seconds
            if state.down_since is None:
                state.down_since = state.logged_at = now
                logger.warning(
                    "The shared cache (Redis at %s) failed: %s. Rate limits count in this "
                    "process only until it answers again; trying again every %g s.",
                    self._safe_location(),
                    exc,
                    self.retry_seconds,
                )
            elif now - state.logged_at >= LOG_EVERY_SECONDS:
                state.logged_at = now
                logger.warning(
                    "The shared cache (Redis at %s) still fails after %d s: %s. Rate "
                    "limits count in this process only.",
                    self._safe_location(),
                    now - state.down_since,
                    exc,
                )

    def _recovered(self) -> None:
        state = self._state
        with state.lock:
            if state.down_since is None:
                return
            logger.warning(
                "The shared cache (Redis at %s) answers again after %d s; rate limits "
                "are shared again.",
                self._safe_location(),
                time.monotonic() - state.down_since,
            )
            state.down_since = None
        # Counts kept during the outage are dropped: a later outage starts from none
        # rather than from values Redis has since changed.
        self._fallback.clear()

    def _safe_location(self) -> str:
        """The location without any password in it (log lines are widely readable)."""
        from urllib.parse import urlsplit

        shown = []
        for server in self._servers:
            parts = urlsplit(server)
            if parts.password is not None:
                host = parts.hostname or ""
                if parts.port:
                    host = f"{host}:{parts.port}"
                parts = parts._replace(netloc=f"***@{host}")
            shown.append(parts.geturl())
        return ",".join(shown)

    def _call(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        if not self._try_redis():
            return local()
        try:
            result = shared()
        except redis.RedisError as exc:
            self._failed(exc)
            return local()
        if self._state.down_since is not None:
            self._recovered()
        return result

    # --- RedisCache's operations (BaseCache builds the others on these) -----------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call(
            lambda: super(FallbackRedisCache, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version),
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        return self._call(
            lambda: super(FallbackRedisCache, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).delete(key, version),
            lambda: self._fallback.delete(key, version),
        )

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._call(
            lambda: super(FallbackRedisCache, self).get_many(keys, version),
            lambda: self._fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._call(
            lambda: super(FallbackRedisCache, self).incr(key, delta, version),
            lambda: self._fallback.incr(key, delta, version),
        )

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._call(
            lambda: super(FallbackRedisCache, self).set_many(data, timeout, version),
            lambda: self._fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        return self._call(
            lambda: super(FallbackRedisCache, self).delete_many(keys, version),
            lambda: self._fallback.delete_many(keys, version),
        )

    def clear(self) -> Any:
        # Both: memory kept during an earlier outage must not outlive a clear either.
        self._fallback.clear()
        return self._call(lambda: super(FallbackRedisCache, self).clear(), lambda: None)
