"""Where the site's links and redirects lead, kept out of views and templates.

Signing up and signing in both end on a page the visitor asked for (`next`) or on
the plan wizard; these helpers decide which, and refuse a `next` that points off
the site (an open redirect would let a phishing mail borrow our domain).
"""

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme


def reverse_or(name: str, default: str, *args: object) -> str:
    """`reverse(name, args)`, or `default` while the page `name` is not mounted.

    The plan wizard lives in planner and may be switched off or renamed without
    the home page and the sign-up redirect breaking.
    """
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return default


def plan_wizard_url() -> str:
    """The page a new plan starts on: the site's main call to action."""
    return reverse_or("planner:plan-new", reverse("web:home"))


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` if it is a path or URL on this site, else None.

    The same test Django's LoginView applies to its `next`, so sign-up and sign-in
    accept and refuse the same destinations.
    """
    if not candidate:
        return None
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else None
