"""System checks for settings that start fine but leave the site quietly broken."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

UNDELIVERED = "prepgraph.mail.UndeliveredEmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def email_is_delivered(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when a production site (DEBUG off) cannot send email.

    Without EMAIL_HOST, password resets and email reminders silently go nowhere (the
    settings pick prepgraph.mail's backend, which logs recipients only). Registered for
    `check --deploy`, which compose's migrate service runs before every migration, so
    each deploy shows it; the command-line planner, which sends no mail, stays quiet.
    """
    if settings.DEBUG:
        return []
    backend = settings.EMAIL_BACKEND
    if backend == UNDELIVERED:
        return [
            checks.Warning(
                "EMAIL_HOST is not set: no email is delivered (password resets, reminders); "
                "each one is logged with its recipients and subject only.",
                hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                "DEFAULT_FROM_EMAIL).",
                id="prepgraph.W001",
            )
        ]
    if backend == CONSOLE:
        return [
            checks.Warning(
                "EMAIL_BACKEND is the console backend with DEBUG off: whole emails, with "
                "their password-reset and reminder links, go to the logs.",
                hint="Set EMAIL_HOST for SMTP, or unset EMAIL_BACKEND.",
                id="prepgraph.W002",
            )
        ]
    return []
