"""A stored study plan and its items.

The plan keeps the inputs it was made from (so `replan` can rebuild it), the
summary the planner reported and a revision that every replan bumps (calendar
apps see it as the events' SEQUENCE).
"""

import datetime
import secrets
import uuid

from django.conf import settings
from django.db import models


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Plan(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plans",
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        "kb.TeamProfile", on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    title = models.CharField(max_length=200)
    inputs = models.JSONField(help_text="The normalised planner inputs this plan was built from.")
    summary = models.JSONField(default=dict)
    interview_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    start_date = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ItemKind(models.TextChoices):
    LEARN = "learn", "Learn"
    REVIEW = "review", "Review"
    PRACTICE = "practice", "Practice questions"
    MOCK = "mock", "Mock interview"
    BUFFER = "buffer", "Buffer"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    date = models.DateField()
    order = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    concept = models.ForeignKey(
        "kb.Concept", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_items"
    )
    concept_slug = models.CharField(
        max_length=80, blank=True, help_text="Kept if the concept is later deleted."
    )
    stage = models.CharField(max_length=60, blank=True, help_text="Loop stage of a mock.")
    minutes = models.PositiveIntegerField()
    part = models.PositiveSmallIntegerField(null=True, blank=True)
    parts = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "date", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "date", "order"], name="plan_item_slot"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="plan_item_minutes"),
        ]
        indexes = [models.Index(fields=["plan", "status", "date"])]

    def __str__(self) -> str:
        return f"{self.date} #{self.order} {self.kind} {self.concept_slug or self.stage}"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class ReminderPreference(models.Model):
    """How and when a person wants to be reminded; one row per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    enabled = models.BooleanField(default=True)
    email = models.BooleanField(default=True, help_text="Send reminders by email.")
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret = models.CharField(
        max_length=64,
        default=new_webhook_secret,
        help_text="Key of the X-Prepgraph-Signature HMAC-SHA256 header on webhook calls.",
    )
    local_time = models.TimeField(default=datetime.time(8, 0))
    timezone = models.CharField(max_length=64, default="UTC")
    days_off = models.JSONField(
        default=list, blank=True, help_text="Weekdays without reminders, 0 = Monday ... 6 = Sunday."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminders for {self.user}"


class ReminderKind(models.TextChoices):
    DAILY_AGENDA = "daily_agenda", "Daily agenda"
    COUNTDOWN = "countdown", "Interview countdown"
    MISSED_WORK = "missed_work", "Missed work"
    WEEKLY_SUMMARY = "weekly_summary", "Weekly progress summary"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReminderDelivery(models.Model):
    """One reminder for one person, plan, kind and local day: the claim that makes sending once.

    The unique constraint is the claim: whichever dispatcher inserts the row
    owns it, and the delivery task moves it pending -> sending -> sent with
    conditional updates, so reruns and redeliveries never send twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reminder_deliveries")
    kind = models.CharField(max_length=32, choices=ReminderKind.choices)
    local_date = models.DateField(help_text="The person's date when the reminder fell due.")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    claim = models.UUIDField(help_text="The dispatcher run that created this row.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    channels_sent = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "plan", "kind", "local_date"], name="reminder_once_per_day"
            ),
        ]
        indexes = [models.Index(fields=["status", "local_date"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user} on {self.local_date} ({self.status})"
