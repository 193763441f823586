"""Without a mail server, production logs who was not mailed, never what (links included).

The settings choose prepgraph.mail's backend when DEBUG is off and EMAIL_HOST is unset
(tests/test_settings.py); here is what it writes, and the system check that says, at
every `manage.py migrate` or `check`, that no email is delivered.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from prepgraph.checks import email_is_delivered

RESET_LINK = "https://prepgraph.example.com/accounts/reset/MQ/c3q4ab-0123456789abcdef/"


def test_the_undelivered_backend_logs_recipients_and_subject_only(caplog):
    caplog.set_level(logging.INFO)
    connection = mail.get_connection("prepgraph.mail.UndeliveredEmailBackend")
    message = EmailMultiAlternatives(
        "Password reset on prepgraph",
        f"Follow {RESET_LINK} to choose a new password.",
        to=["ada@example.com"],
        cc=["grace@example.com"],
        connection=connection,
    )
    message.attach_alternative(f'<a href="{RESET_LINK}">reset</a>', "text/html")
    assert message.send() == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "NOT delivered" in logged and "EMAIL_HOST is not set" in logged
    assert "ada@example.com, grace@example.com" in logged
    assert "Password reset on prepgraph" in logged
    assert "reset/MQ" not in logged and "choose a new password" not in logged


def test_the_check_warns_in_production_without_a_mail_server(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "prepgraph.mail.UndeliveredEmailBackend"
    (warning,) = email_is_delivered()
    assert warning.id == "prepgraph.W001" and "EMAIL_HOST is not set" in warning.msg
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [found.id for found in email_is_delivered()] == ["prepgraph.W002"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert email_is_delivered() == []


def test_the_check_is_quiet_in_development(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert email_is_delivered() == []


def manage_check(**env: str) -> subprocess.CompletedProcess:
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("EMAIL_") and name != "DJANGO_DEBUG"
    }
    environ |= {
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "prepgraph.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://prepgraph.example.com",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_fails_until_email_host_is_set():
    without = manage_check()
    assert without.returncode != 0
    assert "prepgraph.W001" in without.stderr + without.stdout
    with_host = manage_check(EMAIL_HOST="smtp.example.com")
    assert with_host.returncode == 0, with_host.stdout + with_host.stderr
