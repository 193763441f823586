"""Reminders: one digest per person and local day, kept in the database until it is sent.

The database is the outbox. A ReminderDelivery row is what is owed; a Celery
message is only a nudge to send it now, and losing one (Redis restarted, a
worker killed) loses nothing. Every minute, from celery beat:

    dispatch(now) -> recover(now)   expire rows whose local day ended; rows whose
                                    sending lease ran out (their worker died) are
                                    due again, or failed when out of attempts
                  -> due(now)       constant number of queries, batched over users
                  -> claim(...)     insert one row per person and day; the unique
                                    key makes the first dispatcher the only owner
                  -> ready(now)     rows due now and not nudged since they fell due
                  -> on commit: one deliver task per ready row
    deliver(id)   -> pending -> sending (conditional update: a lease and a fencing
                     attempt number) -> each channel at most once per success
                  -> sent | pending again at next_attempt_at (backoff) | failed

Retries wait in the row (`next_attempt_at`), never in Redis as countdown
messages, which is what kept the worker alive through Redis restarts (see the
README's "Reliability").

Guarantees: at least once per channel while the person's day lasts and
attempts remain; a channel that succeeded is not sent again, except when a
worker dies between the receiver's acceptance and the row's commit. Repeats
carry the same delivery id (webhook header and body, email Message-ID).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time as clock
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from kb.models import Concept, Resource
from planner import links, webhooks
from planner.models import (
    UNFINISHED_STATUSES,
    DeliveryStatus,
    ItemStatus,
    MemoryCard,
    Plan,
    PlanItem,
    ReminderDelivery,
    ReminderPreference,
)

log = logging.getLogger(__name__)

COUNTDOWN_DAYS = (7, 3, 1)
WEEKLY_SUMMARY_WEEKDAY = 6  # Sunday
BATCH_SIZE = 2000
SIGNATURE_HEADER = "X-Prepgraph-Signature"
TIMESTAMP_HEADER = "X-Prepgraph-Timestamp"
DELIVERY_HEADER = "X-Prepgraph-Delivery"
REVIEWS_SHOWN = 8  # due reviews listed per plan; the rest are "and N more"

# What a plan's part of the digest holds on a given day.
AGENDA = "daily_agenda"
REVIEWS_DUE = "reviews_due"
COUNTDOWN = "countdown"
MISSED_WORK = "missed_work"
WEEKLY_SUMMARY = "weekly_summary"


class DeliveryFailed(Exception):
    """A channel failed; the row is due again after a backoff."""


def sending_lease() -> timedelta:
    """How long a sender may hold a row: longer than the task's hard time limit."""
    return timedelta(seconds=settings.REMINDER_SENDING_LEASE_SECONDS)


def reenqueue_after() -> timedelta:
    """How long a nudge may sit unanswered before the dispatcher sends another."""
    return timedelta(seconds=settings.REMINDER_REENQUEUE_AFTER_SECONDS)


@dataclass(frozen=True)
class Section:
    plan_id: int
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Due:
    user_id: int
    local_date: date
    timezone: str
    sections: tuple[Section, ...]

    @property
    def kinds(self) -> set[str]:
        return {kind for section in self.sections for kind in section.kinds}


# --- what is due --------------------------------------------------------------------------


def local_moment(now: datetime, tz_name: str) -> datetime:
    return now.astimezone(ZoneInfo(tz_name))


def is_due_today(now: datetime, tz_name: str, at: time, days_off: Iterable[int]) -> date | None:
    """The person's local date if their reminder time has passed today, else None.

    Compares wall-clock times in their zone, so on DST-change days the
    reminder still comes at (or, for a time the clocks skip, just after) the
    chosen local time.
    """
    local = local_moment(now, tz_name)
    if local.weekday() in set(days_off or ()):
        return None
    if local.time().replace(tzinfo=None) < at:
        return None
    return local.date()


def end_of_day(local_date: date, tz_name: str) -> datetime:
    """The first instant of the next local day: after it, the digest is expired, not sent."""
    return datetime.combine(local_date + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz_name))


def kinds_for_day(
    local_date: date,
    interview_date: date,
    *,
    has_items_today: bool,
    missed_yesterday: int,
    reviews_due: bool = False,
) -> list[str]:
    """What a plan's section of the digest holds on `local_date` (pure).

    `reviews_due`: a concept of the plan is due for review (planner.memory)
    by the end of the day, which alone is worth a digest: a review put off
    is recall lost before the interview.
    """
    if local_date > interview_date:
        return []
    kinds = []
    if has_items_today:
        kinds.append(AGENDA)
    if reviews_due:
        kinds.append(REVIEWS_DUE)
    if (interview_date - local_date).days in COUNTDOWN_DAYS:
        kinds.append(COUNTDOWN)
    if missed_yesterday:
        kinds.append(MISSED_WORK)
    if local_date.weekday() == WEEKLY_SUMMARY_WEEKDAY:
        kinds.append(WEEKLY_SUMMARY)
    return kinds


def active_plans():
    """Plans that can send reminders: owned and not archived (past ones drop out by date)."""
    return Plan.objects.filter(owner__isnull=False, archived_at__isnull=True)


def _plan_concepts(plan_id: Any) -> Any:
    """The concept slugs of a plan's items, as a subquery."""
    return PlanItem.objects.filter(plan_id=plan_id).exclude(concept_slug="").values("concept_slug")


def first_review_due(before: datetime) -> Subquery:
    """Per plan row: the earliest due time before `before` of its owner's cards for its
    concepts, or None.

    A subquery of the plans query, not a query of its own, so due() stays at
    four queries; the (user, due) index reads each owner's cards in due order,
    up to `before` (later cards cannot be due today anywhere).
    """
    cards = MemoryCard.objects.filter(
        user_id=OuterRef("owner_id"),
        due__lt=before,
        concept_slug__in=_plan_concepts(OuterRef(OuterRef("pk"))),
    )
    return Subquery(cards.order_by("due").values("due")[:1])


def due(now: datetime) -> list[Due]:
    """Every digest due at `now` and not yet claimed, in four queries whatever the user count."""
    people: dict[int, tuple[date, str]] = {}
    preferences = (
        ReminderPreference.objects.filter(enabled=True)
        .filter(Q(email=True, user__email__gt="") | ~Q(webhook_url=""))
        .values_list("user_id", "timezone", "local_time", "days_off")
    )
    for user_id, tz_name, at, days_off in preferences.iterator(chunk_size=BATCH_SIZE):
        try:
            local_date = is_due_today(now, tz_name, at, days_off)
        except (ZoneInfoNotFoundError, ValueError):  # one bad row must not stop everyone's
            log.error("user %s: unknown reminder time zone %r; skipped", user_id, tz_name)
            continue
        if local_date is not None:
            people[user_id] = (local_date, tz_name)
    if not people:
        return []
    dates = {local_date for local_date, _ in people.values()}
    ends = {end_of_day(local_date, tz_name) for local_date, tz_name in set(people.values())}
    # Joins, not id lists: 10k+ ids would overflow SQLite's query parameters.
    window = now - timedelta(days=2)
    reminded = active_plans().filter(
        owner__reminder_preference__enabled=True, interview_at__gte=window
    )
    plans = [
        row
        for row in reminded.order_by("interview_at", "id")
        .annotate(first_review=first_review_due(max(ends)))
        .values_list("id", "owner_id", "interview_at", "timezone", "start_date", "first_review")
        .iterator(chunk_size=BATCH_SIZE)
        if row[1] in people
    ]
    if not plans:
        return []
    counts: dict[tuple[int, date], int] = defaultdict(int)
    items = (
        PlanItem.objects.filter(plan__in=reminded)
        .filter(date__gte=min(dates) - timedelta(days=1), date__lte=max(dates))
        .exclude(kind="buffer")
        .filter(status=ItemStatus.PENDING)
        .values("plan_id", "date")
        .annotate(n=Count("id"))
        .values_list("plan_id", "date", "n")
    )
    for plan_id, day, n in items.iterator(chunk_size=BATCH_SIZE):
        counts[(plan_id, day)] = n
    claimed = set(
        ReminderDelivery.objects.filter(local_date__in=dates)
        .values_list("user_id", "local_date")
        .iterator(chunk_size=BATCH_SIZE)
    )
    sections: dict[int, list[Section]] = defaultdict(list)
    for plan_id, owner_id, interview_at, tz_name, start, first_review in plans:
        today, person_tz = people[owner_id]
        if (owner_id, today) in claimed:
            continue
        try:
            interview_date = interview_at.astimezone(ZoneInfo(tz_name)).date()
        except (ZoneInfoNotFoundError, ValueError):
            log.error("plan %s: unknown time zone %r; skipped", plan_id, tz_name)
            continue
        yesterday = today - timedelta(days=1)
        kinds = kinds_for_day(
            today,
            interview_date,
            has_items_today=counts.get((plan_id, today), 0) > 0,
            missed_yesterday=counts.get((plan_id, yesterday), 0) if start <= yesterday else 0,
            reviews_due=first_review is not None and first_review < end_of_day(today, person_tz),
        )
        if kinds:
            sections[owner_id].append(Section(plan_id, tuple(kinds)))
    return [
        Due(user_id, people[user_id][0], people[user_id][1], tuple(found))
        for user_id, found in sections.items()
    ]


# --- the outbox ---------------------------------------------------------------------------


def claim(reminders: list[Due], now: datetime) -> list[int]:
    """Insert a digest row per person; return the ids this call created.

    Rows another dispatcher inserted first are left alone (ignore_conflicts),
    and this call's rows are found again by its claim token.
    """
    if not reminders:
        return []
    token = uuid.uuid4()
    ReminderDelivery.objects.bulk_create(
        [
            ReminderDelivery(
                user_id=r.user_id,
                local_date=r.local_date,
                contents=[{"plan": s.plan_id, "kinds": list(s.kinds)} for s in r.sections],
                claim=token,
                next_attempt_at=now,
                expires_at=end_of_day(r.local_date, r.timezone),
            )
            for r in reminders
        ],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    return list(ReminderDelivery.objects.filter(claim=token).values_list("id", flat=True))


@dataclass
class Recovery:
    expired: int = 0
    lost: int = 0
    given_up: int = 0


def recover(now: datetime) -> Recovery:
    """Settle rows nobody will finish: expire past days, take back rows from dead senders."""
    report = Recovery()
    live_sender = Q(status=DeliveryStatus.SENDING, lease_expires_at__gt=now)
    report.expired = (
        ReminderDelivery.objects.filter(status__in=UNFINISHED_STATUSES, expires_at__lte=now)
        .exclude(live_sender)
        .update(status=DeliveryStatus.EXPIRED, lease_expires_at=None)
    )
    lost = ReminderDelivery.objects.filter(status=DeliveryStatus.SENDING, lease_expires_at__lte=now)
    report.given_up = lost.filter(attempts__gte=settings.REMINDER_MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED,
        lease_expires_at=None,
        last_error="the worker sending it was lost, and no attempts are left",
    )
    report.lost = lost.update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        lease_expires_at=None,
        last_error="the worker sending it was lost (its lease ran out); sending again",
    )
    if report.lost or report.given_up:
        log.warning("took back %s reminder(s) from lost workers", report.lost + report.given_up)
    return report


def ready(now: datetime) -> list[int]:
    """Pending rows due now that no nudge has been sent for since they fell due.

    A nudge that got lost (Redis restarted, a message dropped) is sent again
    after REMINDER_REENQUEUE_AFTER_SECONDS; extra nudges are harmless.
    """
    not_nudged = (
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=F("next_attempt_at"))
        | Q(enqueued_at__lt=now - reenqueue_after())
    )
    return list(
        ReminderDelivery.objects.filter(
            not_nudged,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            expires_at__gt=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )


def enqueue_all(ids: list[int], send: Callable[[int], Any], now: datetime) -> int:
    """Hand each id to `send` (the task's delay); a broker failure is logged, not raised."""
    sent = []
    for delivery_id in ids:
        try:
            send(delivery_id)
        except Exception as exc:  # the broker is down or hung: the next dispatch retries
            log.warning(
                "could not enqueue reminder %s (%s); next dispatch retries", delivery_id, exc
            )
            break
        sent.append(delivery_id)
    for start in range(0, len(sent), BATCH_SIZE):
        ReminderDelivery.objects.filter(id__in=sent[start : start + BATCH_SIZE]).update(
            enqueued_at=now
        )
    return len(sent)


@dataclass
class DispatchReport:
    due: list[Due]
    claimed: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    recovery: Recovery = field(default_factory=Recovery)
    enqueued: int | None = None  # set once the transaction commits

    @property
    def requeued(self) -> list[int]:
        """Rows sent again: retries, lost nudges, rows taken back from dead workers."""
        mine = set(self.claimed)
        return [delivery_id for delivery_id in self.ready if delivery_id not in mine]


def dispatch(now: datetime, send: Callable[[int], Any], *, dry_run: bool = False) -> DispatchReport:
    """Settle, claim and (after commit) nudge every digest that is owed now."""
    report = DispatchReport(due=due(now))
    if dry_run:
        return report

    def nudge() -> None:
        report.enqueued = enqueue_all(report.ready, send, now)

    with transaction.atomic():
        report.recovery = recover(now)
        report.claimed = claim(report.due, now)
        report.ready = ready(now)
        transaction.on_commit(nudge)
    return report


# --- rendering ----------------------------------------------------------------------------


def resources_for(concept_ids: list[int], per_concept: int = 2) -> dict[int, list[dict]]:
    """The shortest resources of each concept, in one query."""
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Resource.concepts.through.objects.filter(concept_id__in=concept_ids)
        .order_by("concept_id", "resource__minutes", "resource__title")
        .values_list("concept_id", "resource__title", "resource__url", "resource__minutes")
    )
    for concept_id, title, url, minutes in rows:
        if len(found[concept_id]) < per_concept:
            found[concept_id].append({"title": title, "url": url, "minutes": minutes})
    return found


@dataclass(frozen=True)
class DueReview:
    concept_slug: str
    title: str
    due: datetime


def reviews_due(user_id: int, plan_ids: list[int], before: datetime) -> dict[int, list[DueReview]]:
    """Each plan's concepts whose card is due before `before`, most overdue first; one query.

    Read from the plans' items (a concept is the plan's if an item names it),
    each with its owner's card and the concept's current title: cards are
    keyed by slug and outlive a re-import of the concept, as items do.
    """
    card = MemoryCard.objects.filter(user_id=user_id, concept_slug=OuterRef("concept_slug"))
    title = Concept.objects.filter(slug=OuterRef("concept_slug")).values("title")[:1]
    rows = (
        PlanItem.objects.filter(plan_id__in=plan_ids)
        .exclude(concept_slug="")
        .annotate(card_due=Subquery(card.values("due")[:1]), title=Subquery(title))
        .filter(card_due__lt=before)
        .order_by()  # the model's ordering would be selected too and defeat DISTINCT
        .values_list("plan_id", "concept_slug", "title", "card_due")
        .distinct()
    )
    found: dict[int, list[DueReview]] = defaultdict(list)
    for plan_id, slug, concept_title, due_at in rows:
        found[plan_id].append(DueReview(slug, concept_title or slug, due_at))
    for reviews in found.values():
        reviews.sort(key=lambda review: (review.due, review.title))
    return found


def _overdue(days: int) -> str:
    if days <= 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


def _reviews(reviews: list[DueReview], today: date, tz: ZoneInfo) -> dict[str, Any]:
    """The due-review part of a plan's section: the first REVIEWS_SHOWN, and how many more."""
    shown = []
    for review in reviews[:REVIEWS_SHOWN]:
        days = (today - review.due.astimezone(tz).date()).days
        shown.append(
            {
                "concept": review.concept_slug,
                "title": review.title,
                "due": review.due.isoformat(),
                "days_overdue": max(0, days),
                "overdue": _overdue(days),
            }
        )
    return {
        "reviews": shown,
        "reviews_due": len(reviews),
        "reviews_more": len(reviews) - len(shown),
    }


def short_name(plan: Plan) -> str:
    """'LLM research interview on 2026-12-18' -> 'LLM research interview'."""
    return plan.title.rsplit(" on ", 1)[0] if plan.title.endswith(plan_date(plan)) else plan.title


def plan_date(plan: Plan) -> str:
    return plan.interview_at.astimezone(ZoneInfo(plan.timezone)).date().isoformat()


def _when(days_left: int) -> str:
    if days_left <= 0:
        return "today"
    return "tomorrow" if days_left == 1 else f"in {days_left} days"


def _section(
    plan: Plan,
    kinds: list[str],
    today: date,
    items: list[PlanItem],
    resources: dict[int, list[dict]],
    preference: ReminderPreference,
    reviews: dict[str, Any],
) -> dict[str, Any]:
    interview = plan.interview_at.astimezone(ZoneInfo(plan.timezone))
    todays = [i for i in items if i.date == today and i.kind != "buffer"]
    week = [i for i in items if i.kind != "buffer" and today - timedelta(days=7) < i.date <= today]
    missed = [
        i
        for i in items
        if i.date == today - timedelta(days=1)
        and i.kind != "buffer"
        and i.status == ItemStatus.PENDING
    ]
    days_left = (interview.date() - today).days
    return {
        "plan": plan.pk,
        "title": plan.title,
        "name": short_name(plan),
        "kinds": kinds,
        "interview": interview,
        "interview_at": interview.isoformat(),
        "days_left": days_left,
        "when": _when(days_left),
        "countdown": COUNTDOWN in kinds,
        "weekly": WEEKLY_SUMMARY in kinds,
        "items": [
            {
                "id": item.pk,
                "kind": item.kind,
                "title": item.concept.title if item.concept else (item.note or item.kind),
                "minutes": item.minutes,
                "status": item.status,
                "resources": resources.get(item.concept_id, []) if item.kind == "learn" else [],
                "done_link": links.mark_done_link(item, plan, preference),
            }
            for item in todays
        ],
        "minutes_today": sum(item.minutes for item in todays if item.status != ItemStatus.DONE),
        **reviews,
        "missed": len(missed),
        "week_done": sum(1 for item in week if item.status == ItemStatus.DONE),
        "week_total": len(week),
        "coverage": plan.summary.get("coverage"),
        "replan_link": links.replan_link(plan, preference),
        "plan_url": links.plan_url(plan),
    }


def _subject(sections: list[dict[str, Any]], reviews: int) -> str:
    open_items = sum(
        1 for section in sections for item in section["items"] if item["status"] != "done"
    )
    minutes = sum(section["minutes_today"] for section in sections)
    head = f"Today: {open_items} item{'s' if open_items != 1 else ''}"
    if open_items:
        head += f" ({minutes} min)"
    plans = ", ".join(f"{section['name']} {section['when']}" for section in sections)
    missed = sum(section["missed"] for section in sections)
    tail = f" · {missed} open from yesterday" if missed else ""
    if reviews:
        tail += f" · {reviews} review{'s' if reviews != 1 else ''} due"
    return f"{head} · {plans}{tail}"


def render(delivery: ReminderDelivery) -> dict[str, Any] | None:
    """Subject, text, HTML and webhook JSON of a digest; None when no plan is left to remind of."""
    wanted = {entry["plan"]: entry["kinds"] for entry in delivery.contents}
    today = delivery.local_date
    plans = list(
        active_plans().filter(pk__in=wanted, owner_id=delivery.user_id).order_by("interview_at")
    )
    plans = [plan for plan in plans if plan_date(plan) >= today.isoformat()]
    if not plans:
        return None
    preference = ReminderPreference.objects.get(user_id=delivery.user_id)
    items: dict[int, list[PlanItem]] = defaultdict(list)
    for item in (
        PlanItem.objects.filter(plan__in=plans, date__gt=today - timedelta(days=7), date__lte=today)
        .select_related("concept")
        .order_by("plan_id", "date", "order")
    ):
        items[item.plan_id].append(item)
    learning = [i.concept_id for found in items.values() for i in found if i.kind == "learn"]
    resources = resources_for([i for i in learning if i is not None])
    # Due by the end of the digest's local day (its expiry), counted in the person's zone.
    due_reviews = reviews_due(delivery.user_id, [plan.pk for plan in plans], delivery.expires_at)
    person_tz = ZoneInfo(preference.timezone)
    sections = [
        _section(
            plan,
            wanted[plan.pk],
            today,
            items[plan.pk],
            resources,
            preference,
            _reviews(due_reviews[plan.pk], today, person_tz),
        )
        for plan in plans
    ]
    context = {"user": delivery.user, "today": today, "sections": sections}
    # A concept of two plans is one review to do.
    review_count = len({r.concept_slug for found in due_reviews.values() for r in found})
    return {
        "subject": _subject(sections, review_count),
        "text": render_to_string("planner/email/digest.txt", context),
        "html": render_to_string("planner/email/digest.html", context),
        "json": {
            "delivery_id": str(delivery.uid),
            "date": today.isoformat(),
            "plans": [
                {key: value for key, value in section.items() if key != "interview"}
                for section in sections
            ],
        },
    }


# --- delivery -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": a receiver rejects stale timestamps (replays)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def send_webhook(url: str, secret: str, payload: dict[str, Any], delivery_id: str) -> None:
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    timestamp = str(int(clock.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
    }
    try:
        webhooks.post(url, body, headers, timeout=settings.REMINDER_WEBHOOK_TIMEOUT)
    except webhooks.WebhookFailed as exc:
        raise DeliveryFailed(str(exc)) from exc


def message_id(delivery_id: str) -> str:
    """The same Message-ID on every attempt, so a mail client can drop a repeat."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<reminder-{delivery_id}@{domain}>"


def send_email(to: str, message: dict[str, Any], delivery_id: str) -> None:
    email = EmailMultiAlternatives(
        message["subject"],
        message["text"],
        to=[to],
        headers={"Message-ID": message_id(delivery_id), DELIVERY_HEADER: delivery_id},
    )
    email.attach_alternative(message["html"], "text/html")
    try:
        email.send()
    except Exception as exc:  # SMTP errors come in many classes
        raise DeliveryFailed(f"email failed: {exc}") from exc


def retry_delay(attempt: int, *, jitter: float) -> float:
    """Exponential backoff from the settings, with `jitter` in [0, 1) spreading retries."""
    base = settings.REMINDER_RETRY_BASE_SECONDS
    delay = min(settings.REMINDER_RETRY_MAX_SECONDS, base * 2**attempt)
    return delay * (0.5 + jitter / 2)


def _take(delivery_id: int, now: datetime) -> int | None:
    """Lease a due row for sending; return this attempt's number (the fencing token) or None."""
    with transaction.atomic():
        taken = ReminderDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            expires_at__gt=now,
        ).update(
            status=DeliveryStatus.SENDING,
            lease_expires_at=now + sending_lease(),
            attempts=F("attempts") + 1,
        )
        if not taken:
            return None
        return ReminderDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


class _Attempt:
    """Writes of one attempt; each only lands while this attempt still holds the lease."""

    def __init__(self, delivery_id: int, attempt: int, now: datetime) -> None:
        self.rows = ReminderDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.SENDING, attempts=attempt
        )
        self.attempt = attempt
        self.now = now  # the attempt's clock: a retry is due after it, not after the wall's

    def channel_sent(self, channels: list[str]) -> None:
        self.rows.update(channels_sent=channels)

    def finish(self, status: str, error: str = "") -> str:
        self.rows.update(
            status=status,
            lease_expires_at=None,
            last_error=error,
            sent_at=self.now if status == DeliveryStatus.SENT else None,
        )
        return status

    def fail(self, error: str) -> str:
        """Due again after a backoff, or failed for good once the attempts are spent."""
        if self.attempt >= settings.REMINDER_MAX_ATTEMPTS:
            return self.finish(DeliveryStatus.FAILED, f"{error} (gave up after {self.attempt})")
        delay = retry_delay(self.attempt - 1, jitter=random.random())
        self.rows.update(
            status=DeliveryStatus.PENDING,
            lease_expires_at=None,
            last_error=error[:2000],
            next_attempt_at=self.now + timedelta(seconds=delay),
        )
        return "retrying"


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Send one digest on each channel; return what became of it.

    "skipped" when the row is not due (sent, being sent, waiting for a retry,
    expired); "retrying" when a channel failed and the row waits for its next
    attempt in the database; otherwise the row's final status.
    """
    now = now or timezone.now()
    attempt_number = _take(delivery_id, now)
    if attempt_number is None:
        return "skipped"
    attempt = _Attempt(delivery_id, attempt_number, now)
    try:
        delivery = ReminderDelivery.objects.select_related("user").get(pk=delivery_id)
        preference = ReminderPreference.objects.filter(user_id=delivery.user_id).first()
        if preference is None or not preference.enabled:
            return attempt.finish(DeliveryStatus.EXPIRED, "reminders were turned off")
        message = render(delivery)
        if message is None:
            return attempt.finish(DeliveryStatus.EXPIRED, "no active plan left to remind of")
        uid = str(delivery.uid)
        channels: list[tuple[str, Callable[[], None]]] = []
        if preference.email and delivery.user.email:
            channels.append(("email", lambda: send_email(delivery.user.email, message, uid)))
        if preference.webhook_url:
            url, secret = preference.webhook_url, preference.webhook_secret
            channels.append(("webhook", lambda: send_webhook(url, secret, message["json"], uid)))
        if not channels:
            return attempt.finish(DeliveryStatus.EXPIRED, "no channel is turned on")
        sent = list(delivery.channels_sent)
        for name, send in channels:
            if name in sent:
                continue
            send()
            sent.append(name)
            attempt.channel_sent(sent)
    except DeliveryFailed as exc:
        log.warning("reminder %s: %s", delivery_id, exc)
        return attempt.fail(str(exc))
    except Exception as exc:  # a bug or a soft time limit: record it, keep the row owed
        log.exception("reminder %s failed unexpectedly", delivery_id)
        return attempt.fail(f"{type(exc).__name__}: {exc}")
    return attempt.finish(DeliveryStatus.SENT)
