"""The email backend of a production site that has no mail server configured.

Django's console backend writes every message whole to stdout, which in production is
the log: password-reset links and the signed links in reminders would be readable by
anyone who reads the logs, and usable by them. With DEBUG off and no EMAIL_HOST the
settings choose this backend instead: it delivers nothing and logs only that a message
to whom, about what, was not delivered (a system check says so at start as well).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

logger = logging.getLogger(__name__)


class UndeliveredEmailBackend(BaseEmailBackend):
    """Logs the recipients and subject of each message, never its body; sends nothing."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            logger.warning(
                "Email NOT delivered (EMAIL_HOST is not set): to %s, subject %r",
                ", ".join(message.recipients()) or "nobody",
                str(message.subject),
            )
        # Counted as handled, like the console backend: a retry would not deliver it either.
        return len(email_messages)
