"""Reminders without a broker: due times, kinds, claiming, rendering, idempotent delivery."""

import threading
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from planner import preferences, reminders, services
from planner.core import PlanInputError
from planner.models import DeliveryStatus, PlanItem, ReminderDelivery
from planner.services import PlanInputs

UTC = ZoneInfo("UTC")
MONDAY = date(2026, 11, 30)


def at(year, month, day, hour, minute=0, tz="UTC") -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


# --- due times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "tz", "local", "expected"),
    [
        # New York springs forward on 8 March 2026: 08:00 is 13:00 UTC the day before, 12:00 on it.
        (at(2026, 3, 7, 12, 59), "America/New_York", time(8), None),
        (at(2026, 3, 7, 13, 0), "America/New_York", time(8), date(2026, 3, 7)),
        (at(2026, 3, 8, 11, 59), "America/New_York", time(8), None),
        (at(2026, 3, 8, 12, 0), "America/New_York", time(8), date(2026, 3, 8)),
        # 02:30 does not exist that day: the reminder comes at 03:00 EDT, just after.
        (at(2026, 3, 8, 6, 59), "America/New_York", time(2, 30), None),
        (at(2026, 3, 8, 7, 0), "America/New_York", time(2, 30), date(2026, 3, 8)),
        # New York falls back on 1 November 2026.
        (at(2026, 11, 1, 12, 59), "America/New_York", time(8), None),
        (at(2026, 11, 1, 13, 0), "America/New_York", time(8), date(2026, 11, 1)),
        # Berlin falls back on 25 October 2026 (08:00 is 06:00 UTC before, 07:00 UTC on it)...
        (at(2026, 10, 24, 6, 0), "Europe/Berlin", time(8), date(2026, 10, 24)),
        (at(2026, 10, 25, 6, 30), "Europe/Berlin", time(8), None),
        (at(2026, 10, 25, 7, 0), "Europe/Berlin", time(8), date(2026, 10, 25)),
        # ...and springs forward on 29 March 2026 (08:00 is 06:00 UTC).
        (at(2026, 3, 29, 5, 59), "Europe/Berlin", time(8), None),
        (at(2026, 3, 29, 6, 0), "Europe/Berlin", time(8), date(2026, 3, 29)),
        # Late in the UTC day it is already tomorrow in Tokyo.
        (at(2026, 12, 1, 23, 30), "Asia/Tokyo", time(7), date(2026, 12, 2)),
    ],
)
def test_reminders_fall_due_at_local_time_across_dst_changes(now, tz, local, expected):
    assert reminders.is_due_today(now, tz, local, []) == expected


def test_days_off_have_no_reminders():
    sunday = at(2026, 12, 6, 12)
    assert reminders.is_due_today(sunday, "UTC", time(8), [6]) is None
    assert reminders.is_due_today(sunday, "UTC", time(8), [5]) == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [(8, []), (7, ["countdown"]), (3, ["countdown"]), (2, []), (1, ["countdown"]), (0, [])],
)
def test_countdown_comes_seven_three_and_one_day_before(days_before, expected):
    interview = date(2026, 12, 18)  # a Friday: no weekly summary on these days
    today = interview - timedelta(days=days_before)
    kinds = reminders.kinds_for_day(today, interview, has_items_today=False, missed_yesterday=0)
    assert kinds == expected


def test_kinds_follow_the_plan_state():
    interview = date(2026, 12, 31)
    wednesday = date(2026, 12, 2)
    assert reminders.kinds_for_day(
        wednesday, interview, has_items_today=True, missed_yesterday=3
    ) == ["daily_agenda", "missed_work"]
    sunday = date(2026, 12, 6)
    assert "weekly_summary" in reminders.kinds_for_day(
        sunday, interview, has_items_today=False, missed_yesterday=0
    )
    after = interview + timedelta(days=1)
    assert reminders.kinds_for_day(after, interview, has_items_today=True, missed_yesterday=5) == []


# --- due() over the database --------------------------------------------------------------


def make_person(name: str, *, tz="UTC", local="08:00", email=True, webhook="", plan=True):
    user = get_user_model().objects.create_user(name, email=f"{name}@example.org")
    preferences.preference_update(
        user=user, timezone=tz, local_time=local, email=email, webhook_url=webhook
    )
    if plan:
        services.create_plan(
            owner=user,
            inputs=PlanInputs(
                team="llm-research",
                interview=MONDAY + timedelta(days=10),
                start=MONDAY,
                timezone=tz,
                hours_per_weekday=(2,) * 7,
            ),
            today=MONDAY,
        )
    return user


pytestmark = pytest.mark.django_db


def test_due_finds_each_persons_reminders_at_their_time(small_kb):
    make_person("ada", tz="Europe/Berlin", local="08:00")
    make_person("bob", tz="America/New_York", local="08:00")
    make_person("cy", plan=False)
    berlin_morning = at(2026, 11, 30, 7, 5)  # 08:05 in Berlin, 02:05 in New York
    found = reminders.due(berlin_morning)
    assert {(d.kind, get_user_model().objects.get(pk=d.user_id).username) for d in found} == {
        ("daily_agenda", "ada")
    }
    new_york_morning = at(2026, 11, 30, 13, 5)
    assert {d.user_id for d in reminders.due(new_york_morning)} == {
        get_user_model().objects.get(username=name).pk for name in ("ada", "bob")
    }


def test_due_uses_a_constant_number_of_queries(small_kb, django_assert_max_num_queries):
    for index in range(3):
        make_person(f"few{index}")
    with django_assert_max_num_queries(4):
        few = reminders.due(at(2026, 11, 30, 9))
    for index in range(40):
        make_person(f"many{index}")
    with django_assert_max_num_queries(4):
        many = reminders.due(at(2026, 11, 30, 9))
    assert len(few) == 3 and len(many) == 43


def test_disabled_or_channel_less_people_get_nothing(small_kb):
    user = make_person("quiet")
    preferences.preference_update(user=user, enabled=False)
    make_person("nochannel", email=False)
    assert reminders.due(at(2026, 11, 30, 9)) == []


def test_missed_work_is_due_when_yesterday_is_open(small_kb):
    make_person("ada")
    tuesday = at(2026, 12, 1, 9)
    kinds = {d.kind for d in reminders.due(tuesday)}
    assert "missed_work" in kinds
    PlanItem.objects.filter(date=MONDAY).update(status="done")
    assert "missed_work" not in {d.kind for d in reminders.due(tuesday)}


def test_after_an_outage_only_todays_reminders_are_sent(small_kb):
    make_person("ada")
    # The dispatcher was down all Monday; on Tuesday it catches up on Tuesday only.
    found = reminders.due(at(2026, 12, 1, 23, 59))
    assert {d.local_date for d in found} == {date(2026, 12, 1)}


# --- claiming ---------------------------------------------------------------------------------


def test_dispatching_twice_claims_once(small_kb, django_capture_on_commit_callbacks):
    make_person("ada")
    sent: list[int] = []
    now = at(2026, 11, 30, 9)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.dispatch(now, sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders.dispatch(now, sent.append)
    assert len(first.claimed) == 1 and second.claimed == [] and second.due == []
    assert sent == first.claimed
    assert ReminderDelivery.objects.get().enqueued_at is not None


def test_claim_ignores_rows_another_dispatcher_inserted_first(small_kb):
    make_person("ada")
    found = reminders.due(at(2026, 11, 30, 9))
    mine = reminders.claim(found)
    theirs = reminders.claim(found)  # a second dispatcher that saw the same due list
    assert len(mine) == 1 and theirs == []
    assert ReminderDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_claim_each_reminder_once(small_kb):
    for index in range(5):
        make_person(f"p{index}")
    now = at(2026, 11, 30, 9)
    found = reminders.due(now)
    results: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(reminders.claim(found))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed = [i for result in results for i in result]
    assert len(claimed) == len(set(claimed)) == 5
    assert ReminderDelivery.objects.count() == 5


def test_a_failed_enqueue_leaves_the_row_for_the_next_dispatch(
    small_kb, django_capture_on_commit_callbacks
):
    make_person("ada")
    now = at(2026, 11, 30, 9)

    def broker_down(_):
        raise ConnectionError("Redis is down")

    with django_capture_on_commit_callbacks(execute=True):
        reminders.dispatch(now, broker_down)  # logs, does not raise
    row = ReminderDelivery.objects.get()
    assert row.status == "pending" and row.enqueued_at is None
    sent: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        report = reminders.dispatch(now + timedelta(minutes=1), sent.append)
    assert report.requeued == [row.pk] and sent == [row.pk]


# --- delivery ---------------------------------------------------------------------------------


def claimed_delivery(name="ada", **person) -> ReminderDelivery:
    make_person(name, **person)
    ids = reminders.claim(reminders.due(at(2026, 11, 30, 9)))
    return ReminderDelivery.objects.get(pk=ids[0])


def test_deliver_sends_once_however_often_it_runs(small_kb):
    delivery = claimed_delivery()
    assert reminders.deliver(delivery.pk) == "sent"
    assert reminders.deliver(delivery.pk) == "skipped"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject.startswith("Today's prep:")
    html = message.alternatives[0][0]
    assert "mark done" in html and "/r/done/" in html
    assert "https://example.org/la" in message.body  # today's learning comes with its resources
    delivery.refresh_from_db()
    assert (
        delivery.status == "sent" and delivery.attempts == 1 and delivery.channels_sent == ["email"]
    )


def test_a_stale_sending_row_is_taken_over_after_the_lease(small_kb):
    delivery = claimed_delivery()
    ReminderDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, started_at=timezone.now() - timedelta(minutes=1)
    )
    assert reminders.deliver(delivery.pk) == "skipped"  # someone is sending it right now
    ReminderDelivery.objects.filter(pk=delivery.pk).update(
        started_at=timezone.now() - reminders.SENDING_LEASE - timedelta(seconds=1)
    )
    assert reminders.deliver(delivery.pk) == "sent"  # that worker died: take over
    assert len(mail.outbox) == 1


def test_a_failing_channel_is_recorded_and_sent_channels_are_not_repeated(small_kb, monkeypatch):
    delivery = claimed_delivery(webhook="http://127.0.0.1:9/hook")
    calls = []

    def flaky(url, secret, payload):
        calls.append(url)
        if len(calls) == 1:
            raise reminders.DeliveryFailed("webhook answered 503")

    monkeypatch.setattr(reminders, "send_webhook", flaky)
    with pytest.raises(reminders.DeliveryFailed):
        reminders.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error == "webhook answered 503"
    assert reminders.deliver(delivery.pk) == "sent"
    assert len(mail.outbox) == 1 and len(calls) == 2


def test_webhook_signature_covers_timestamp_and_body():
    signature = reminders.sign("secret", "1700000000", b'{"a": 1}')
    assert signature == reminders.sign("secret", "1700000000", b'{"a": 1}')
    assert signature != reminders.sign("secret", "1700000001", b'{"a": 1}')
    assert signature != reminders.sign("other", "1700000000", b'{"a": 1}')
    assert signature.startswith("sha256=") and len(signature) == 7 + 64


def test_retry_delay_grows_exponentially_and_stays_capped(settings):
    settings.REMINDER_RETRY_BASE_SECONDS = 30
    settings.REMINDER_RETRY_MAX_SECONDS = 600
    assert reminders.retry_delay(0, jitter=1.0) == pytest.approx(30, abs=0.1)
    assert reminders.retry_delay(2, jitter=1.0) == pytest.approx(120, abs=0.5)
    assert reminders.retry_delay(10, jitter=0.999) <= 600
    assert reminders.retry_delay(3, jitter=0.0) == 120  # half of 240: jitter spreads retries


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("countdown", "day(s) until your"),
        ("missed_work", "from yesterday are open: replan?"),
        ("weekly_summary", "Your week:"),
        ("daily_agenda", "Today's prep:"),
    ],
)
def test_every_kind_renders_text_and_html(small_kb, kind, subject):
    delivery = claimed_delivery()
    delivery.kind = kind
    message = reminders.render(delivery)
    assert subject in message["subject"]
    assert message["text"].strip() and message["html"].lstrip().startswith("<!doctype html>")
    assert message["json"]["kind"] == kind


# --- links in reminders -----------------------------------------------------------------------


def test_mark_done_link_asks_then_marks(small_kb, client):
    delivery = claimed_delivery()
    message = reminders.render(delivery)
    item = message["json"]["items"][0]
    path = item["done_link"].removeprefix("http://localhost:8000")
    page = client.get(path)
    assert page.status_code == 200 and b"Mark this item as done?" in page.content
    assert PlanItem.objects.get(pk=item["id"]).status == "pending"  # GET changes nothing
    client.post(path)
    assert PlanItem.objects.get(pk=item["id"]).status == "done"


def test_replan_link_replans(small_kb, client):
    delivery = claimed_delivery()
    path = reminders.render(delivery)["json"]["replan_link"].removeprefix("http://localhost:8000")
    response = client.post(path)
    assert b"rescheduled" in response.content
    delivery.plan.refresh_from_db()
    assert delivery.plan.revision == 2


def test_a_tampered_link_is_refused(small_kb, client):
    response = client.get(reverse("planner:mark-done", args=["not-a-token"]))
    assert response.status_code == 400 and b"not valid" in response.content


# --- preferences and the command ----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"local_time": "25:00"}, "local_time"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
        ({"days_off": [7]}, "days_off"),
        ({"enabled": "yes"}, "enabled"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_name_the_field_and_change_nothing(changes, field):
    user = get_user_model().objects.create_user("ada")
    before = preferences.preference_get(user=user)
    with pytest.raises(PlanInputError) as error:
        preferences.preference_update(user=user, **changes)
    assert error.value.field == field
    after = preferences.preference_get(user=user)
    assert (after.timezone, after.local_time, after.webhook_url) == (
        before.timezone,
        before.local_time,
        before.webhook_url,
    )


def test_send_reminders_dry_run_lists_and_claims_nothing(small_kb):
    make_person("ada")
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--now", "2026-11-30T09:00:00+00:00", stdout=out)
    assert "daily_agenda" in out.getvalue() and "1 reminder(s) due (dry run)" in out.getvalue()
    assert ReminderDelivery.objects.count() == 0


def test_send_reminders_claims_and_delivers(small_kb, settings, django_capture_on_commit_callbacks):
    from prepgraph.celery import app

    make_person("ada")
    app.conf.task_always_eager = True  # the real task, run inline: no broker in this test
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", "--now", "2026-11-30T09:00:00+00:00", stdout=StringIO())
    finally:
        app.conf.task_always_eager = False
    assert ReminderDelivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_send_reminders_names_a_bad_now():
    with pytest.raises(CommandError, match="--now: 'yesterday' is not an ISO datetime"):
        call_command("send_reminders", "--now", "yesterday")
    with pytest.raises(CommandError, match="--now: give a UTC offset"):
        call_command("send_reminders", "--now", "2026-11-30T09:00:00")
