"""Reminders: which are due, claiming them once, rendering and idempotent delivery.

Flow (every minute, from celery beat):
    dispatch(now) -> due(now)       constant number of queries, batched over users
                  -> claim(...)     insert ReminderDelivery rows; the unique key
                                    (user, plan, kind, local date) makes the first
                                    dispatcher the only owner
                  -> on commit: enqueue one deliver task per claimed row
    deliver(id)   -> pending -> sending (conditional update) -> each channel once
                  -> sent | failed (retried with backoff by the task)

Only today's reminders (in each person's time zone) are ever due, so after an
outage the dispatcher catches up on today and never sends yesterday's. Rows
whose enqueue failed (Redis down) stay pending and are enqueued again by the
next dispatch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time as clock
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kb.models import Resource
from planner import services
from planner.models import (
    DeliveryStatus,
    ItemStatus,
    Plan,
    PlanItem,
    ReminderDelivery,
    ReminderKind,
    ReminderPreference,
)

log = logging.getLogger(__name__)

COUNTDOWN_DAYS = (7, 3, 1)
WEEKLY_SUMMARY_WEEKDAY = 6  # Sunday
BATCH_SIZE = 2000
SENDING_LEASE = timedelta(minutes=5)  # > the task's hard time limit: a stale "sending" is dead
REENQUEUE_AFTER = timedelta(minutes=10)
MARK_DONE_SALT = "prepgraph.mark-done"
REPLAN_SALT = "prepgraph.replan"
SIGNATURE_HEADER = "X-Prepgraph-Signature"
TIMESTAMP_HEADER = "X-Prepgraph-Timestamp"


class DeliveryFailed(Exception):
    """A channel failed; the task retries with backoff."""


@dataclass(frozen=True)
class Due:
    user_id: int
    plan_id: int
    kind: str
    local_date: date


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


def kinds_for_day(
    local_date: date,
    interview_date: date,
    *,
    has_items_today: bool,
    missed_yesterday: int,
) -> list[str]:
    """Which reminder kinds a plan earns on `local_date` (pure; see the module docstring)."""
    if local_date > interview_date:
        return []
    kinds = []
    if has_items_today:
        kinds.append(ReminderKind.DAILY_AGENDA.value)
    if (interview_date - local_date).days in COUNTDOWN_DAYS:
        kinds.append(ReminderKind.COUNTDOWN.value)
    if missed_yesterday:
        kinds.append(ReminderKind.MISSED_WORK.value)
    if local_date.weekday() == WEEKLY_SUMMARY_WEEKDAY:
        kinds.append(ReminderKind.WEEKLY_SUMMARY.value)
    return kinds


def due(now: datetime) -> list[Due]:
    """Every reminder due at `now` and not yet claimed, in five queries whatever the user count."""
    people: dict[int, date] = {}
    preferences = (
        ReminderPreference.objects.filter(enabled=True)
        .filter(Q(email=True) | ~Q(webhook_url=""))
        .values_list("user_id", "timezone", "local_time", "days_off")
    )
    for user_id, tz_name, at, days_off in preferences.iterator(chunk_size=BATCH_SIZE):
        local_date = is_due_today(now, tz_name, at, days_off)
        if local_date is not None:
            people[user_id] = local_date
    if not people:
        return []
    dates = set(people.values())
    earliest = min(dates) - timedelta(days=1)
    # Joins, not id lists: 10k+ ids would overflow SQLite's query parameters.
    window = now - timedelta(days=2)
    plans = [
        row
        for row in Plan.objects.filter(
            owner__reminder_preference__enabled=True, interview_at__gte=window
        )
        .values_list("id", "owner_id", "interview_at", "timezone")
        .iterator(chunk_size=BATCH_SIZE)
        if row[1] in people
    ]
    if not plans:
        return []
    counts: dict[tuple[int, date], int] = defaultdict(int)
    items = (
        PlanItem.objects.filter(date__gte=earliest, date__lte=max(dates))
        .filter(plan__owner__reminder_preference__enabled=True, plan__interview_at__gte=window)
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
        .values_list("plan_id", "kind", "local_date")
        .iterator(chunk_size=BATCH_SIZE)
    )
    result = []
    for plan_id, owner_id, interview_at, tz_name in plans:
        today = people[owner_id]
        interview_date = interview_at.astimezone(ZoneInfo(tz_name)).date()
        for kind in kinds_for_day(
            today,
            interview_date,
            has_items_today=counts.get((plan_id, today), 0) > 0,
            missed_yesterday=counts.get((plan_id, today - timedelta(days=1)), 0),
        ):
            if (plan_id, kind, today) not in claimed:
                result.append(Due(owner_id, plan_id, kind, today))
    return result


# --- claiming and dispatching -------------------------------------------------------------


def claim(reminders: list[Due]) -> list[int]:
    """Insert a delivery row per reminder; return the ids this call created.

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
                plan_id=r.plan_id,
                kind=r.kind,
                local_date=r.local_date,
                claim=token,
            )
            for r in reminders
        ],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    return list(ReminderDelivery.objects.filter(claim=token).values_list("id", flat=True))


def stranded(now: datetime) -> list[int]:
    """Pending rows of today (anywhere on earth) never enqueued (broker down) or stuck."""
    return list(
        ReminderDelivery.objects.filter(
            status=DeliveryStatus.PENDING, local_date__gte=(now - timedelta(days=1)).date()
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER))
        .values_list("id", flat=True)
    )


def enqueue_all(ids: list[int], send: Callable[[int], Any], now: datetime) -> int:
    """Hand each id to `send` (the task's delay); a broker failure is logged, not raised."""
    sent = []
    for delivery_id in ids:
        try:
            send(delivery_id)
        except Exception:  # the broker is down or hung: the next dispatch retries
            log.warning("could not enqueue reminder %s; will retry next minute", delivery_id)
            break
        sent.append(delivery_id)
    if sent:
        ReminderDelivery.objects.filter(id__in=sent).update(enqueued_at=now)
    return len(sent)


@dataclass
class DispatchReport:
    due: list[Due]
    claimed: list[int]
    requeued: list[int]


def dispatch(now: datetime, send: Callable[[int], Any], *, dry_run: bool = False) -> DispatchReport:
    """Find, claim and (after commit) enqueue what is due now."""
    found = due(now)
    if dry_run:
        return DispatchReport(found, [], [])
    leftovers = stranded(now)
    with transaction.atomic():
        claimed = claim(found)
        transaction.on_commit(lambda: enqueue_all(leftovers + claimed, send, now))
    return DispatchReport(found, claimed, leftovers)


# --- rendering ----------------------------------------------------------------------------


def signed_link(name: str, value: dict[str, Any], salt: str) -> str:
    token = signing.dumps(value, salt=salt)
    return settings.SITE_URL + reverse(name, args=[token])


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


def render(delivery: ReminderDelivery) -> dict[str, Any]:
    """Subject, text, HTML and the JSON a webhook receives for one delivery."""
    plan = delivery.plan
    today = delivery.local_date
    interview = plan.interview_at.astimezone(ZoneInfo(plan.timezone))
    days_left = (interview.date() - today).days
    items = list(
        plan.items.filter(date=today)
        .exclude(kind="buffer")
        .select_related("concept")
        .order_by("order")
    )
    yesterday = list(
        plan.items.filter(date=today - timedelta(days=1), status=ItemStatus.PENDING).exclude(
            kind="buffer"
        )
    )
    week = plan.items.filter(date__gt=today - timedelta(days=7), date__lte=today)
    resources = resources_for([item.concept_id for item in items if item.kind == "learn"])
    context = {
        "user": delivery.user,
        "plan": plan,
        "kind": delivery.kind,
        "today": today,
        "interview": interview,
        "days_left": days_left,
        "items": [
            {
                "id": item.pk,
                "kind": item.kind,
                "title": item.concept.title if item.concept else (item.note or item.kind),
                "minutes": item.minutes,
                "status": item.status,
                "resources": resources.get(item.concept_id, []) if item.kind == "learn" else [],
                "done_link": signed_link(
                    "planner:mark-done", {"item": item.pk, "user": delivery.user_id}, MARK_DONE_SALT
                ),
            }
            for item in items
        ],
        "missed": len(yesterday),
        "replan_link": signed_link(
            "planner:replan", {"plan": plan.pk, "user": delivery.user_id}, REPLAN_SALT
        ),
        "week_done": week.filter(status=ItemStatus.DONE).count(),
        "week_total": week.exclude(kind="buffer").count(),
        "coverage": plan.summary.get("coverage"),
    }
    subjects = {
        ReminderKind.DAILY_AGENDA: f"Today's prep: {len(items)} item(s), {days_left} day(s) left",
        ReminderKind.COUNTDOWN: f"{days_left} day(s) until your {plan.title}",
        ReminderKind.MISSED_WORK: f"{len(yesterday)} item(s) from yesterday are open: replan?",
        ReminderKind.WEEKLY_SUMMARY: f"Your week: {context['week_done']} item(s) done",
    }
    template = f"planner/email/{delivery.kind}"
    return {
        "subject": subjects[ReminderKind(delivery.kind)],
        "text": render_to_string(f"{template}.txt", context),
        "html": render_to_string(f"{template}.html", context),
        "json": {
            "kind": delivery.kind,
            "plan": plan.pk,
            "date": today.isoformat(),
            "days_left": days_left,
            "items": context["items"],
            "missed": len(yesterday),
            "replan_link": context["replan_link"],
        },
    }


# --- delivery -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": a receiver rejects stale timestamps (replays)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def send_webhook(url: str, secret: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(clock.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.REMINDER_WEBHOOK_TIMEOUT) as reply:
            if not 200 <= reply.status < 300:
                raise DeliveryFailed(f"webhook answered {reply.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"webhook answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"webhook unreachable: {exc}") from exc


def send_email(to: str, message: dict[str, Any]) -> None:
    email = EmailMultiAlternatives(message["subject"], message["text"], to=[to])
    email.attach_alternative(message["html"], "text/html")
    try:
        email.send()
    except Exception as exc:  # SMTP errors come in many classes
        raise DeliveryFailed(f"email failed: {exc}") from exc


def _take(delivery_id: int) -> bool:
    """Move the row to `sending` unless it is sent or someone is sending it now."""
    now = timezone.now()
    claimable = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]) | Q(
        status=DeliveryStatus.SENDING, started_at__lt=now - SENDING_LEASE
    )
    return bool(
        ReminderDelivery.objects.filter(claimable, pk=delivery_id).update(
            status=DeliveryStatus.SENDING, started_at=now, attempts=F("attempts") + 1
        )
    )


def deliver(delivery_id: int) -> str:
    """Send one reminder on each channel at most once; return the final status.

    Raises DeliveryFailed (after recording it) when a channel fails, so the
    task can retry; channels already sent are not sent again on retry.
    """
    if not _take(delivery_id):
        return "skipped"
    delivery = ReminderDelivery.objects.select_related("user", "plan").get(pk=delivery_id)
    preference = ReminderPreference.objects.filter(user_id=delivery.user_id).first()
    if preference is None or not preference.enabled:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, "reminders disabled"
        delivery.save(update_fields=["status", "last_error"])
        return DeliveryStatus.FAILED
    message = render(delivery)
    channels = []
    if preference.email and delivery.user.email:
        channels.append(("email", lambda: send_email(delivery.user.email, message)))
    if preference.webhook_url:
        channels.append(
            (
                "webhook",
                lambda: send_webhook(
                    preference.webhook_url, preference.webhook_secret, message["json"]
                ),
            )
        )
    for name, send in channels:
        if name in delivery.channels_sent:
            continue
        try:
            send()
        except DeliveryFailed as exc:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, str(exc)[:2000]
            delivery.save(update_fields=["status", "last_error"])
            raise
        delivery.channels_sent = [*delivery.channels_sent, name]
        delivery.save(update_fields=["channels_sent"])
    delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
    delivery.save(update_fields=["status", "sent_at", "last_error"])
    return DeliveryStatus.SENT


def retry_delay(attempt: int, *, jitter: float) -> float:
    """Exponential backoff from the settings, with `jitter` in [0, 1) spreading retries."""
    base = settings.REMINDER_RETRY_BASE_SECONDS
    delay = min(settings.REMINDER_RETRY_MAX_SECONDS, base * 2**attempt)
    return delay * (0.5 + jitter / 2)


# --- links in reminders -------------------------------------------------------------------


def read_link(token: str, salt: str, max_age: timedelta = timedelta(days=14)) -> dict[str, Any]:
    return signing.loads(token, salt=salt, max_age=max_age.total_seconds())


def mark_done_from_link(token: str) -> PlanItem:
    data = read_link(token, MARK_DONE_SALT)
    item = PlanItem.objects.get(pk=data["item"], plan__owner_id=data["user"])
    return services.mark_item(item=item, status=ItemStatus.DONE)


def replan_from_link(token: str) -> Plan:
    data = read_link(token, REPLAN_SALT)
    plan = Plan.objects.get(pk=data["plan"], owner_id=data["user"])
    return services.replan(plan=plan)
