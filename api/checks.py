"""System checks of the API's settings (`manage.py check`)."""

from django.conf import settings
from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning

READS_BEFORE_DRF = "api.read_cache.reads_before_drf"

# The middleware api.read_cache.reads_before_drf answers stored reads without, and why each
# may be skipped for an anonymous GET under /api/ with no session or CSRF cookie: what it
# does to one is add headers that do not depend on the request (the store repeats them),
# or answer it itself in a case the read cache checks for first (_stack_would_intervene).
SKIPPED_MIDDLEWARE: dict[str, str] = {
    "django.middleware.security.SecurityMiddleware": "headers; its https redirect is checked",
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves /static/ only",
    "django.contrib.sessions.middleware.SessionMiddleware": "no session cookie: nothing",
    "django.middleware.common.CommonMiddleware": "Content-Length; host, agents, www checked",
    "django.middleware.csrf.CsrfViewMiddleware": "a GET without its cookie: nothing",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "anonymous: set here",
    "django.contrib.messages.middleware.MessageMiddleware": "no session: nothing",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "a header",
    "django_ratelimit.middleware.RatelimitMiddleware": "no KB read is rate-limited by it",
    "kb.middleware.pin_revision": "the read cache pins the revision itself",
}


@register()
def middleware_skipped_by_stored_reads(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A middleware added after reads_before_drf never sees the reads it answers: a
    maintainer adding one must say it may be skipped (a CORS or locale header that
    depends on the request would be repeated to the next client; a compressor's
    Content-Encoding is not stored)."""
    middleware = list(settings.MIDDLEWARE)
    if READS_BEFORE_DRF not in middleware:
        return []
    after = middleware[middleware.index(READS_BEFORE_DRF) + 1 :]
    return [
        CheckWarning(
            f"{name} comes after {READS_BEFORE_DRF}, which answers stored anonymous API "
            "reads without running it",
            hint="If it does nothing to an anonymous GET under /api/ but add headers that "
            "do not depend on the request, add it to api.checks.SKIPPED_MIDDLEWARE; "
            f"otherwise put it before {READS_BEFORE_DRF}.",
            obj=name,
            id="api.W001",
        )
        for name in after
        if name not in SKIPPED_MIDDLEWARE
    ]
