"""Rate limits on the account forms, where a password can be guessed or a mailbox flooded.

django-ratelimit counts in Django's cache. The default cache is per process
(the embedded default needs no server); with REDIS_URL (or CACHE_URL) set,
several processes count together in Redis (README, "Settings"). Only POSTs
count: showing a form is free. Behind reverse proxies, TRUSTED_PROXIES says
how many, so an address is the client's and not the proxy's (`client_ip`).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

# (key, rate) per form: by address, and by the account or mailbox the POST names.
LIMITS: dict[str, tuple[tuple[str, str], ...]] = {
    "sign-in": (("ip", settings.RATE_SIGN_IN_IP), ("post:username", settings.RATE_SIGN_IN_USER)),
    "password reset": (("ip", settings.RATE_RESET_IP), ("post:email", settings.RATE_RESET_EMAIL)),
    "sign-up": (("ip", settings.RATE_SIGN_UP_IP),),
}


def limited(form: str) -> Callable:
    """The decorators for `form`'s limits, innermost first: a view over its limit raises
    Ratelimited, which `too_many` turns into a 429 page."""

    def wrap(view: Callable) -> Callable:
        for key, rate in LIMITS[form]:
            view = ratelimit(key=key, rate=rate, method="POST", block=True, group=form)(view)
        return view

    return wrap


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the address
    the outermost of them saw (entries further left are the client's to write)."""
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META["REMOTE_ADDR"]


# URL name -> the form's name in LIMITS
FORMS = {"login": "sign-in", "password_reset": "password reset", "signup": "sign-up"}


def too_many(request: HttpRequest, exception: Exception) -> HttpResponse:
    """RATELIMIT_VIEW: what a person over a limit reads (and a script gets: 429)."""
    match = request.resolver_match
    form = FORMS.get(match.url_name if match else "", "this form")
    return render(request, "web/too_many.html", {"form": form}, status=429)


__all__ = ["LIMITS", "Ratelimited", "limited", "too_many"]
