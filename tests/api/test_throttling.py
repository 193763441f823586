"""The sliding-window counters behind the API's rate limits, on a clock the test moves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory

from api.throttling import AnonThrottle, seconds_until_allowed, sliding_estimate


@pytest.fixture
def clock(monkeypatch):
    """Throttles read this clock; the test sets `clock.now`."""

    class Clock:
        now = 6000.0  # the start of a minute window

    monkeypatch.setattr(AnonThrottle, "timer", lambda self: Clock.now)
    cache.clear()
    return Clock


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "1000/minute"},
    }


def ask(address: str = "203.0.113.7") -> tuple[bool, float | None]:
    throttle = AnonThrottle()
    request = APIRequestFactory().get("/api/v1/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    allowed = throttle.allow_request(request, None)
    return allowed, None if allowed else throttle.wait()


def test_the_rate_holds_in_a_window_and_the_wait_says_until_when(clock, three_a_minute):
    assert [ask()[0] for _ in range(3)] == [True, True, True]
    assert ask() == (False, 60.0)  # 3 of 3 in this window: wait for the next one
    assert ask("198.51.100.1") == (True, None)  # another client has its own count


def test_the_previous_window_counts_as_much_as_the_sliding_minute_still_covers(
    clock, three_a_minute
):
    for _ in range(3):
        assert ask()[0]
    clock.now += 60  # the next window: the previous 3 still count in full...
    assert ask() == (False, 1.0)
    clock.now += 1  # ...and a second later as 3 x 59/60 = 2.95, under 3
    assert ask() == (True, None)
    # 2.95 + 1: the next one waits until the previous window's share is under 2 (at 20 s).
    assert ask() == (False, 19.0)
    clock.now += 19.5
    assert ask() == (True, None)  # 3 x 39.5/60 + 1 = 2.975
    clock.now += 60 - 20.5  # the first minute has slid out: 2 in the last one
    assert ask() == (True, None)
    assert not ask()[0]


def test_a_refused_request_is_not_counted(clock, three_a_minute):
    for _ in range(3):
        ask()
    for _ in range(50):
        assert not ask()[0]
    clock.now += 120  # two windows on: nothing counts, however much was refused
    assert [ask()[0] for _ in range(3)] == [True, True, True]


@given(
    previous=st.integers(0, 500),
    current=st.integers(0, 500),
    elapsed=st.floats(0, 59.999),
    limit=st.integers(1, 400),
)
def test_after_the_wait_the_estimate_is_under_the_limit_and_not_a_second_earlier(
    previous, current, elapsed, limit
):
    duration = 60.0
    wait = seconds_until_allowed(previous, current, elapsed, duration, limit)
    assert wait >= 0

    def estimate_after(seconds: float) -> float:
        at = elapsed + seconds
        if at < duration:
            return sliding_estimate(previous, current, at, duration)
        if at < 2 * duration:  # the next window: current is its previous count
            return sliding_estimate(current, 0, at - duration, duration)
        return 0.0

    assert estimate_after(wait + 1e-6) < limit + 1e-9
    if wait > 1:
        assert estimate_after(wait - 1) >= limit - 1e-9


addresses = st.from_regex(r"\A(\d{1,3}\.){3}\d{1,3}\Z", fullmatch=True)


@given(
    xff=st.none() | st.lists(addresses, min_size=1, max_size=4).map(", ".join),
    remote=addresses,
    proxies=st.none() | st.integers(0, 5),
)
def test_the_client_is_identified_as_drf_identifies_it(xff, remote, proxies):
    from rest_framework import throttling as drf_throttling
    from rest_framework.settings import api_settings

    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {})
    request = APIRequestFactory().get("/api/v1/concepts/", **extra)
    saved = api_settings.NUM_PROXIES
    api_settings.NUM_PROXIES = proxies  # DRF's setting, as both read it
    try:
        drf = drf_throttling.SimpleRateThrottle.get_ident(AnonThrottle(), request)
        assert AnonThrottle().get_ident(request) == drf
    finally:
        api_settings.NUM_PROXIES = saved
