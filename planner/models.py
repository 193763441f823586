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

from planner import domain
from prepgraph.fields import LargeJSONField


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
    summary = LargeJSONField(default=dict)
    interview_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    start_date = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Archived plans stay readable but send no reminders."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ItemKind(models.TextChoices):
    LEARN = domain.LEARN, "Learn"
    REVIEW = domain.REVIEW, "Review"
    PRACTICE = domain.PRACTICE, "Practice questions"
    MOCK = domain.MOCK, "Mock interview"
    BUFFER = domain.BUFFER, "Buffer"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class PlanItem(models.Model):
    # No index of its own: the slot constraint's and the status index lead with the plan,
    # and a plan writes a hundred items at once, each one index the fewer.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items", db_index=False)
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


def new_link_key() -> str:
    return secrets.token_urlsafe(16)


def default_local_time() -> datetime.time:
    """08:00, the digest's default hour. A callable: Django's check takes a fixed time
    default for a mistake in the ten seconds around that time each day (fields.W161)."""
    return datetime.time(8, 0)


class ReminderPreference(models.Model):
    """How and when a person wants to be reminded; one row per user, made when they first save.

    Reminders are off until the person turns them on: reading the preferences
    never creates this row (planner.preferences.preference_get).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    enabled = models.BooleanField(default=False)
    email = models.BooleanField(default=True, help_text="Send reminders by email.")
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret = models.CharField(
        max_length=64,
        default=new_webhook_secret,
        help_text="Key of the X-Prepgraph-Signature HMAC-SHA256 header on webhook calls.",
    )
    link_key = models.CharField(
        max_length=32,
        default=new_link_key,
        help_text="Part of every link in reminders; changing it revokes the links already sent.",
    )
    local_time = models.TimeField(default=default_local_time)
    timezone = models.CharField(max_length=64, default="UTC")
    days_off = models.JSONField(
        default=list, blank=True, help_text="Weekdays without reminders, 0 = Monday ... 6 = Sunday."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminders for {self.user}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


UNFINISHED_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class ReminderDelivery(models.Model):
    """One day's reminder digest for one person: the outbox row that is owed until it is sent.

    The unique (user, local_date) key is the claim: whichever dispatcher
    inserts the row owns it, so a person gets one digest a day whatever the
    number of plans or dispatchers. The row, not a broker message, is the
    record of what is owed: the dispatcher sends it again while it is pending
    and due (`next_attempt_at`) or its sending lease has run out, until it is
    sent, its attempts run out (failed) or its local day ends (expired).
    """

    uid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable delivery id: the webhook's X-Prepgraph-Delivery, the email's Message-ID.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    local_date = models.DateField(help_text="The person's date when the reminder fell due.")
    contents = models.JSONField(
        default=list, help_text='What the digest covers: [{"plan": id, "kinds": [...]}].'
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    claim = models.UUIDField(help_text="The dispatcher run that created this row.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When a pending row may be sent (again).")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While sending: after this the sender is presumed dead."
    )
    expires_at = models.DateTimeField(help_text="End of the person's local day: not sent after.")
    last_error = models.TextField(blank=True)
    channels_sent = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="reminder_once_per_day"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"digest for {self.user} on {self.local_date} ({self.status})"


class MemoryRating(models.TextChoices):
    """What a person answers after a self-test (planner.memory.RATINGS, fsrs's four grades)."""

    AGAIN = "again", "Again"
    HARD = "hard", "Hard"
    GOOD = "good", "Good"
    EASY = "easy", "Easy"


class MemoryCard(models.Model):
    """How well one person remembers one concept: fsrs's card state, as fsrs wrote it.

    Keyed by concept slug, like PlanItem.concept_slug, so a person's memory of
    a concept outlives a plan (replans, archives) and survives the concept's
    re-import. `due` and `last_review` repeat what `state` holds so the
    planner can select due cards in the database; planner.memory_services
    writes all three together.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memory_cards"
    )
    concept_slug = models.CharField(max_length=80)
    state = models.JSONField(default=dict, help_text="fsrs Card.to_dict(); {} before any rating.")
    due = models.DateTimeField(help_text="When the next review is due (capped at the interview).")
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0, help_text="Ratings so far.")
    lapses = models.PositiveIntegerField(default=0, help_text="Ratings of Again so far.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "due"]
        constraints = [
            models.UniqueConstraint(fields=["user", "concept_slug"], name="memory_card_once"),
        ]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self) -> str:
        return f"{self.user} / {self.concept_slug}"


class ReviewRating(models.Model):
    """Every self-test rating, kept for good: what the optimiser fits a person's parameters to.

    The plan and item are where the rating was given, if anywhere; they are
    set to null when a replan or a deletion removes them, and the rating stays.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_ratings"
    )
    concept_slug = models.CharField(max_length=80)
    plan = models.ForeignKey(
        Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_ratings"
    )
    item = models.ForeignKey(
        PlanItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_ratings"
    )
    rating = models.CharField(max_length=8, choices=MemoryRating.choices)
    reviewed_at = models.DateTimeField()
    state_before = models.JSONField(null=True, blank=True, help_text="null for a first rating.")
    state_after = models.JSONField()
    due = models.DateTimeField(help_text="The next review this rating set.")
    log = models.JSONField(help_text="fsrs ReviewLog.to_dict(), the optimiser's input.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        indexes = [models.Index(fields=["user", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.user} rated {self.concept_slug} {self.rating} at {self.reviewed_at}"


class FsrsParameters(models.Model):
    """A person's fitted fsrs parameters; without a row the package's defaults apply."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fsrs_parameters"
    )
    parameters = models.JSONField(help_text="fsrs Scheduler parameters (21 numbers).")
    fitted_at = models.DateTimeField()
    reviews_used = models.PositiveIntegerField(help_text="Ratings in the log when fitted.")

    class Meta:
        verbose_name = "FSRS parameters"
        verbose_name_plural = "FSRS parameters"

    def __str__(self) -> str:
        return f"FSRS parameters of {self.user}"
