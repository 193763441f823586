"""Rate limits for anonymous (per IP) and signed-in (per user) clients.

Rates come from settings (API_THROTTLE_ANON / API_THROTTLE_USER). DRF's own
classes copy the rates once at import; these read them per request, so a
test can lower a rate with `settings` and see a 429. Counts live in Django's
default cache: per process unless CACHES points at a shared cache (Redis).

DRF's SimpleRateThrottle keeps each client's request times as one list in the
cache, reads and rewrites it whole on every request: the cost grows with the
rate (a list of 1,200 floats pickled twice per request at the user rate), and
two processes that read the list at once each write it back without the
other's request, so a client spread over several web processes is counted
short. These count instead: one counter per client and window, incremented
in place (Redis INCR is atomic, so no request is lost between processes), and
the rate is checked over a sliding window estimated from the current and the
previous window's counts: a client cannot pass twice the rate across a window
boundary, as with plain fixed windows, and the cost is the same whatever the
rate.
"""

from __future__ import annotations

import math

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


def sliding_estimate(previous: int, current: int, elapsed: float, duration: float) -> float:
    """Requests in the last `duration` seconds, `elapsed` seconds into the current window:
    the current window's count and the previous window's, weighted by how much of it the
    last `duration` seconds still cover (its requests taken as evenly spread)."""
    return previous * (1.0 - elapsed / duration) + current


def seconds_until_allowed(
    previous: int, current: int, elapsed: float, duration: float, limit: int
) -> float:
    """How long until sliding_estimate drops under `limit` with no request meanwhile."""
    if current < limit:
        if previous == 0:
            return 0.0
        # previous * (1 - (elapsed + t) / duration) + current < limit
        return max(0.0, duration * (1.0 - (limit - current) / previous) - elapsed)
    # Not within this window: in the next one, `current` becomes the previous count.
    return (duration - elapsed) + duration * (1.0 - limit / current)


class SlidingWindowThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and cache keys, counted per window (see the module)."""

    def get_ident(self, request) -> str:
        """DRF's, reading X-Forwarded-For from META: DRF's goes through request.headers,
        which builds a map of every header to read one, a tenth of a stored read's time."""
        xff = request.META.get("HTTP_X_FORWARDED_FOR")
        remote_addr = request.META.get("REMOTE_ADDR")
        num_proxies = api_settings.NUM_PROXIES
        if num_proxies is not None:
            if num_proxies == 0 or xff is None:
                return remote_addr
            addrs = xff.split(",")
            return addrs[-min(num_proxies, len(addrs))].strip()
        return "".join(xff.split()) if xff else remote_addr

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        duration = self.duration
        window = int(self.now // duration)
        self.elapsed = self.now - window * duration
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        counts = self.cache.get_many([previous_key, current_key])
        self.previous = counts.get(previous_key, 0)
        self.current = counts.get(current_key, 0)
        estimate = sliding_estimate(self.previous, self.current, self.elapsed, duration)
        if estimate >= self.num_requests:
            return self.throttle_failure()
        # Kept for two windows: the next one reads this one as its previous count.
        if self.current or not self.cache.add(current_key, 1, timeout=2 * duration + 1):
            try:
                self.cache.incr(current_key)
            except ValueError:  # expired between the read and now: start it again
                self.cache.add(current_key, 1, timeout=2 * duration + 1)
        return True

    def wait(self) -> float | None:
        wait = seconds_until_allowed(
            self.previous, self.current, self.elapsed, self.duration, self.num_requests
        )
        # Whole seconds for Retry-After, never 0; float noise must not add one.
        return float(max(1, math.ceil(wait - 1e-9)))


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRate, SlidingWindowThrottle, AnonRateThrottle):
    pass


class UserThrottle(_SettingsRate, SlidingWindowThrottle, UserRateThrottle):
    """Signed-in clients only. DRF's UserRateThrottle also counts anonymous ones, by IP,
    at the user rate: every anonymous request was counted twice (two counters more to
    read and write) and held to whichever rate is lower, whatever the anon rate says.
    Anonymous clients are AnonThrottle's alone, so a view must list both (the default)."""

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # AnonThrottle's
        return super().get_cache_key(request, view)
