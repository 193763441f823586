"""Reminders without a broker: due times, digests, the outbox, rendering, links, preferences."""

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

from planner import links, preferences, reminders, services
from planner.core import PlanInputError
from planner.models import MemoryCard, Plan, PlanItem, ReminderDelivery, ReminderPreference
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


def test_reviews_due_alone_make_a_plans_section():
    interview = date(2026, 12, 31)
    wednesday = date(2026, 12, 2)
    assert reminders.kinds_for_day(
        wednesday, interview, has_items_today=False, missed_yesterday=0, reviews_due=True
    ) == ["reviews_due"]
    assert reminders.kinds_for_day(
        wednesday, interview, has_items_today=True, missed_yesterday=0, reviews_due=True
    ) == ["daily_agenda", "reviews_due"]
    after = interview + timedelta(days=1)
    assert (
        reminders.kinds_for_day(after, interview, has_items_today=False, missed_yesterday=0,
                                reviews_due=True) == []
    )  # fmt: skip


# --- due() over the database --------------------------------------------------------------


def make_plan(user, *, team="llm-research", tz="UTC", days=10):
    return services.create_plan(
        owner=user,
        inputs=PlanInputs(
            team=team,
            interview=MONDAY + timedelta(days=days),
            start=MONDAY,
            timezone=tz,
            hours_per_weekday=(2,) * 7,
        ),
        today=MONDAY,
    )


def make_person(name: str, *, tz="UTC", local="08:00", email=True, webhook="", plan=True):
    user = get_user_model().objects.create_user(name, email=f"{name}@example.org")
    preferences.preference_update(
        user=user, enabled=True, timezone=tz, local_time=local, email=email, webhook_url=webhook
    )
    if plan:
        make_plan(user, tz=tz)
    return user


def user_named(name: str):
    return get_user_model().objects.get(username=name)


pytestmark = pytest.mark.django_db


def test_due_finds_each_persons_digest_at_their_time(small_kb):
    make_person("ada", tz="Europe/Berlin", local="08:00")
    make_person("bob", tz="America/New_York", local="08:00")
    make_person("cy", plan=False)
    berlin_morning = at(2026, 11, 30, 7, 5)  # 08:05 in Berlin, 02:05 in New York
    found = reminders.due(berlin_morning)
    assert [(d.user_id, d.kinds) for d in found] == [(user_named("ada").pk, {"daily_agenda"})]
    new_york_morning = at(2026, 11, 30, 13, 5)
    assert {d.user_id for d in reminders.due(new_york_morning)} == {
        user_named(name).pk for name in ("ada", "bob")
    }


def test_due_uses_a_constant_number_of_queries(small_kb, django_assert_max_num_queries):
    for index in range(3):
        make_person(f"few{index}")
    with django_assert_max_num_queries(4):
        few = reminders.due(at(2026, 11, 30, 9))
    for index in range(40):
        person = make_person(f"many{index}")
        for slug in ("softmax", "bert", "k-means"):  # due reviews: a subquery, not a query
            card(person, slug, at(2026, 11, 28, 9))
    with django_assert_max_num_queries(4):
        many = reminders.due(at(2026, 11, 30, 9))
    assert len(few) == 3 and len(many) == 43
    assert sum(1 for found in many if "reviews_due" in found.kinds) == 40


def test_disabled_or_channel_less_people_get_nothing(small_kb):
    user = make_person("quiet")
    preferences.preference_update(user=user, enabled=False)
    no_channel = make_person("nochannel")
    # Stored before preferences refused reminders that go nowhere (check_delivery).
    ReminderPreference.objects.filter(user=no_channel).update(email=False)
    no_address = make_person("noaddress")
    get_user_model().objects.filter(pk=no_address.pk).update(email="")
    assert reminders.due(at(2026, 11, 30, 9)) == []


def test_missed_work_is_due_when_yesterday_is_open(small_kb):
    make_person("ada")
    tuesday = at(2026, 12, 1, 9)
    assert "missed_work" in reminders.due(tuesday)[0].kinds
    PlanItem.objects.filter(date=MONDAY).update(status="done")
    assert "missed_work" not in reminders.due(tuesday)[0].kinds


def test_after_an_outage_only_todays_digest_is_due(small_kb):
    make_person("ada")
    # The dispatcher was down all Monday; on Tuesday it catches up on Tuesday only.
    found = reminders.due(at(2026, 12, 1, 23, 59))
    assert {d.local_date for d in found} == {date(2026, 12, 1)}


def test_seven_plans_make_one_digest_that_names_each_plan(small_kb):
    ada = make_person("ada", plan=False)
    for days in range(4, 11):
        make_plan(ada, team="ads-ranking" if days % 2 else "llm-research", days=days)
    found = reminders.due(at(2026, 11, 30, 9))
    assert len(found) == 1 and len(found[0].sections) == 7
    ids = reminders.claim(found, at(2026, 11, 30, 9))
    assert reminders.deliver(ids[0], now=at(2026, 11, 30, 9)) == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    for plan in Plan.objects.filter(owner=ada):
        assert plan.title in message.body
    assert message.subject.startswith("Today: ")
    assert "Ads ranking interview in 5 days" in message.subject
    assert "LLM research interview in 4 days" in message.subject


def test_archived_and_past_plans_send_nothing(small_kb):
    ada = make_person("ada")
    Plan.objects.filter(owner=ada).update(archived_at=timezone.now())
    assert reminders.due(at(2026, 11, 30, 9)) == []
    Plan.objects.filter(owner=ada).update(archived_at=None)
    after_the_interview = at(2026, 12, 11, 9)
    assert reminders.due(after_the_interview) == []


def test_a_plan_archived_after_claiming_is_not_sent(small_kb):
    ada = make_person("ada")
    now = at(2026, 11, 30, 9)
    ids = reminders.claim(reminders.due(now), now)
    Plan.objects.filter(owner=ada).update(archived_at=timezone.now())
    assert reminders.deliver(ids[0], now=now) == "expired"
    assert mail.outbox == []


# --- claiming and the outbox ------------------------------------------------------------------


def test_dispatching_twice_claims_once(small_kb, django_capture_on_commit_callbacks):
    make_person("ada")
    sent: list[int] = []
    now = at(2026, 11, 30, 9)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.dispatch(now, sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders.dispatch(now, sent.append)
    assert len(first.claimed) == 1 and second.claimed == [] and second.due == []
    assert sent == first.claimed and first.enqueued == 1
    assert ReminderDelivery.objects.get().enqueued_at == now


def test_claim_ignores_rows_another_dispatcher_inserted_first(small_kb):
    make_person("ada")
    now = at(2026, 11, 30, 9)
    found = reminders.due(now)
    mine = reminders.claim(found, now)
    theirs = reminders.claim(found, now)  # a second dispatcher that saw the same due list
    assert len(mine) == 1 and theirs == []
    assert ReminderDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_claim_each_digest_once(small_kb):
    for index in range(5):
        make_person(f"p{index}")
    now = at(2026, 11, 30, 9)
    found = reminders.due(now)
    results: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(reminders.claim(found, now))
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
        report = reminders.dispatch(now, broker_down)  # logs, does not raise
    assert report.enqueued == 0
    row = ReminderDelivery.objects.get()
    assert row.status == "pending" and row.enqueued_at is None
    sent: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        report = reminders.dispatch(now + timedelta(minutes=1), sent.append)
    assert report.requeued == [row.pk] and sent == [row.pk]


def dispatched(now, sent):
    """One dispatcher run whose nudges land in `sent`."""
    report = reminders.dispatch(now, sent.append)
    reminders.enqueue_all(report.ready, lambda _: None, now)  # on_commit does not run here
    return report


def test_a_lost_nudge_is_sent_again_after_the_reenqueue_delay(small_kb, settings):
    settings.REMINDER_REENQUEUE_AFTER_SECONDS = 300
    make_person("ada")
    now = at(2026, 11, 30, 9)
    sent: list[int] = []
    first = dispatched(now, sent)
    assert first.ready == first.claimed  # nudged, but the message never reaches a worker
    assert dispatched(now + timedelta(minutes=4), sent).ready == []
    assert dispatched(now + timedelta(minutes=6), sent).ready == first.claimed


def test_a_row_whose_sender_died_is_taken_back_after_its_lease(small_kb, settings):
    settings.REMINDER_SENDING_LEASE_SECONDS = 90
    make_person("ada")
    now = at(2026, 11, 30, 9)
    (row_id,) = reminders.claim(reminders.due(now), now)
    assert reminders._take(row_id, now) == 1  # a worker takes it, then is killed
    assert reminders.deliver(row_id, now=now + timedelta(seconds=30)) == "skipped"
    report = dispatched(now + timedelta(seconds=60), [])
    assert report.recovery.lost == 0 and report.ready == []  # the lease still holds
    report = dispatched(now + timedelta(seconds=91), [])
    assert report.recovery.lost == 1 and report.ready == [row_id]
    row = ReminderDelivery.objects.get()
    assert row.status == "pending" and "lost" in row.last_error
    assert reminders.deliver(row_id, now=now + timedelta(seconds=92)) == "sent"
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.get().attempts == 2


def test_a_failed_attempt_waits_in_the_row_and_is_sent_when_due(small_kb, settings, monkeypatch):
    settings.REMINDER_RETRY_BASE_SECONDS = 60
    make_person("ada")
    now = at(2026, 11, 30, 9)
    (row_id,) = reminders.claim(reminders.due(now), now)

    def smtp_down(*args):
        raise reminders.DeliveryFailed("email failed: connection refused")

    monkeypatch.setattr(reminders, "send_email", smtp_down)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert reminders.deliver(row_id, now=now) == "retrying"
    row = ReminderDelivery.objects.get()
    assert row.status == "pending" and row.last_error == "email failed: connection refused"
    assert now + timedelta(seconds=30) <= row.next_attempt_at <= now + timedelta(seconds=60)
    assert reminders.deliver(row_id, now=now + timedelta(seconds=1)) == "skipped"  # not yet
    assert dispatched(now + timedelta(seconds=10), []).ready == []
    monkeypatch.undo()
    later = now + timedelta(seconds=61)
    assert dispatched(later, []).ready == [row_id]
    assert reminders.deliver(row_id, now=later) == "sent"
    assert len(mail.outbox) == 1


def test_attempts_run_out_and_the_row_fails_for_good(small_kb, settings, monkeypatch):
    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.REMINDER_RETRY_BASE_SECONDS = 1
    make_person("ada")
    now = at(2026, 11, 30, 9)
    (row_id,) = reminders.claim(reminders.due(now), now)
    monkeypatch.setattr(
        reminders, "send_email", lambda *a: (_ for _ in ()).throw(reminders.DeliveryFailed("x"))
    )
    assert reminders.deliver(row_id, now=now) == "retrying"
    assert reminders.deliver(row_id, now=now + timedelta(minutes=1)) == "failed"
    row = ReminderDelivery.objects.get()
    assert row.status == "failed" and row.attempts == 2 and "gave up" in row.last_error
    assert dispatched(now + timedelta(minutes=5), []).ready == []


def test_a_digest_whose_day_ended_is_expired_not_sent(small_kb):
    make_person("ada", tz="Asia/Tokyo", local="07:00")
    now = at(2026, 11, 30, 9)  # 18:00 in Tokyo
    (row_id,) = reminders.claim(reminders.due(now), now)
    row = ReminderDelivery.objects.get()
    assert row.expires_at == datetime(2026, 12, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    past_midnight = at(2026, 11, 30, 15, 1)  # 00:01 on Tuesday in Tokyo
    assert reminders.deliver(row_id, now=past_midnight) == "skipped"
    report = dispatched(past_midnight, [])
    assert report.recovery.expired == 1 and row_id not in report.ready
    assert ReminderDelivery.objects.get(pk=row_id).status == "expired"


# --- delivery ---------------------------------------------------------------------------------


def claimed_delivery(name="ada", **person) -> ReminderDelivery:
    make_person(name, **person)
    now = at(2026, 11, 30, 9)
    ids = reminders.claim(reminders.due(now), now)
    return ReminderDelivery.objects.get(pk=ids[0])


def test_deliver_sends_once_however_often_it_runs(small_kb):
    delivery = claimed_delivery()
    now = at(2026, 11, 30, 9)
    assert reminders.deliver(delivery.pk, now=now) == "sent"
    assert reminders.deliver(delivery.pk, now=now) == "skipped"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject.startswith("Today: ") and "LLM research interview" in message.subject
    assert message.extra_headers["Message-ID"] == f"<reminder-{delivery.uid}@localhost>"
    html = message.alternatives[0][0]
    assert "mark done" in html and "/r/done/" in html
    assert "https://example.org/la" in message.body  # today's learning comes with its resources
    delivery.refresh_from_db()
    assert (
        delivery.status == "sent" and delivery.attempts == 1 and delivery.channels_sent == ["email"]
    )


def test_a_failing_channel_is_retried_and_sent_channels_are_not_repeated(small_kb, monkeypatch):
    delivery = claimed_delivery(webhook="https://93.184.215.14/hook")
    calls = []

    def flaky(url, secret, payload, delivery_id):
        calls.append(delivery_id)
        if len(calls) == 1:
            raise reminders.DeliveryFailed("webhook answered 503")

    monkeypatch.setattr(reminders, "send_webhook", flaky)
    now = at(2026, 11, 30, 9)
    assert reminders.deliver(delivery.pk, now=now) == "retrying"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_error == "webhook answered 503"
    assert delivery.channels_sent == ["email"]
    assert reminders.deliver(delivery.pk, now=delivery.next_attempt_at) == "sent"
    assert len(mail.outbox) == 1 and calls == [str(delivery.uid)] * 2


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
    ("day", "expected"),
    [
        # Monday 30 Nov: work today. Tuesday: yesterday open. 3 and 1 days before: countdown.
        (date(2026, 11, 30), ["Today:"]),
        (date(2026, 12, 1), ["from yesterday is still open", "Replan"]),
        (date(2026, 12, 6), ["This week:"]),
        (date(2026, 12, 7), ["3 days", "until your interview on Thursday 10 December"]),
        (date(2026, 12, 9), ["Your interview is tomorrow"]),
    ],
)
def test_each_section_of_the_digest_renders_in_text_and_html(small_kb, day, expected):
    ada = make_person("ada")
    PlanItem.objects.filter(plan__owner=ada, date__lt=day - timedelta(days=1)).update(status="done")
    yesterday = PlanItem.objects.filter(plan__owner=ada, date=day - timedelta(days=1))
    left_open = yesterday.exclude(kind="buffer").first()  # one item missed yesterday
    yesterday.exclude(pk=left_open.pk if left_open else None).update(status="done")
    moment = datetime.combine(day, time(9), tzinfo=UTC)
    ids = reminders.claim(reminders.due(moment), moment)
    message = reminders.render(ReminderDelivery.objects.get(pk=ids[0]))
    for text in expected:
        assert text in message["text"] and text in message["html"]
    assert message["html"].lstrip().startswith("<!doctype html>")
    assert message["json"]["plans"][0]["title"] in message["text"]


# --- due reviews in the digest ------------------------------------------------------------


def outside_concept() -> str:
    """A concept of the KB that no track of the small KB weighs: in no plan of these tests
    (every concept of the small KB may be, given the time)."""
    from kb.models import Concept

    return Concept.objects.create(slug="ppo", title="PPO", area="rl", hours=2).slug


def card(user, slug: str, due: datetime) -> MemoryCard:
    """A card of `user`'s for `slug`, due at `due` (the digest reads only that)."""
    return MemoryCard.objects.create(user=user, concept_slug=slug, state={}, due=due)


def digest_of(user, now: datetime) -> dict:
    """The digest due for `user` at `now`, claimed and rendered."""
    reminders.claim(reminders.due(now), now)
    return reminders.render(ReminderDelivery.objects.get(user=user))


def test_the_digest_lists_reviews_due_by_the_end_of_the_day_most_overdue_first(small_kb):
    ada = make_person("ada")  # UTC, 08:00; the plan's concepts are the llm-research ones
    bob = make_person("bob")
    card(ada, "softmax", at(2026, 11, 27, 10))  # Friday: three days overdue
    card(ada, "bert", at(2026, 11, 30, 23, 30))  # tonight: due today
    card(ada, "linear-algebra", at(2026, 11, 29, 12))  # yesterday
    card(ada, "transformer", at(2026, 12, 1, 0))  # midnight: tomorrow's
    outside = outside_concept()
    card(ada, outside, at(2026, 11, 1, 0))  # long overdue, but no concept of this plan
    card(bob, "self-attention", at(2026, 11, 29, 0))  # someone else's
    message = digest_of(ada, at(2026, 11, 30, 9))
    section = message["json"]["plans"][0]
    assert section["reviews"] == [
        {
            "concept": "softmax",
            "title": "Softmax",
            "due": "2026-11-27T10:00:00+00:00",
            "days_overdue": 3,
            "overdue": "3 days overdue",
        },
        {
            "concept": "linear-algebra",
            "title": "Linear algebra",
            "due": "2026-11-29T12:00:00+00:00",
            "days_overdue": 1,
            "overdue": "1 day overdue",
        },
        {
            "concept": "bert",
            "title": "Bert",
            "due": "2026-11-30T23:30:00+00:00",
            "days_overdue": 0,
            "overdue": "due today",
        },
    ]
    assert (section["reviews_due"], section["reviews_more"]) == (3, 0)
    assert (
        "Due for review (3):\n- Softmax (3 days overdue)\n- Linear algebra (1 day overdue)\n"
        "- Bert (due today)\n" in message["text"]
    )
    html = message["html"]
    assert "<p>Due for review (3):</p>" in html
    for title, overdue in (("Softmax", "3 days"), ("Linear algebra", "1 day")):
        assert f'<li>{title} <span style="color: #59636e">({overdue} overdue)</span></li>' in html
    assert message["subject"].endswith(" · 3 reviews due")


def test_due_reviews_follow_the_persons_day_not_utcs(small_kb):
    kenji = make_person("kenji", tz="Asia/Tokyo", local="07:00")
    card(kenji, "self-attention", at(2026, 11, 29, 14))  # Sunday 23:00 in Tokyo
    card(kenji, "transformer", at(2026, 11, 29, 15, 30))  # Monday 00:30 in Tokyo
    card(kenji, "softmax", at(2026, 11, 30, 14, 59))  # Monday 23:59 in Tokyo
    card(kenji, "bert", at(2026, 11, 30, 15))  # Tuesday 00:00 in Tokyo: not today's
    section = digest_of(kenji, at(2026, 11, 29, 23))["json"]["plans"][0]  # Monday 08:00
    assert [(r["concept"], r["overdue"]) for r in section["reviews"]] == [
        ("self-attention", "1 day overdue"),
        ("transformer", "due today"),
        ("softmax", "due today"),
    ]


def test_a_long_list_of_reviews_is_cut_with_and_n_more(small_kb, monkeypatch):
    monkeypatch.setattr(reminders, "REVIEWS_SHOWN", 2)
    ada = make_person("ada")
    for day, slug in enumerate(["tokenization", "bert", "softmax", "transformer"], start=20):
        card(ada, slug, at(2026, 11, day, 12))
    message = digest_of(ada, at(2026, 11, 30, 9))
    section = message["json"]["plans"][0]
    assert [r["title"] for r in section["reviews"]] == ["Tokenization", "Bert"]
    assert (section["reviews_due"], section["reviews_more"]) == (4, 2)
    assert "- Bert (9 days overdue)\n  and 2 more\n" in message["text"]
    assert "<li>and 2 more</li>" in message["html"]
    assert message["subject"].endswith(" · 4 reviews due")


def test_each_plan_lists_its_own_concepts_and_a_shared_one_counts_once(small_kb):
    ada = make_person("ada", plan=False)
    research = make_plan(ada, team="llm-research", days=8)  # no time for k-means
    ranking = make_plan(ada, team="ads-ranking", days=12)
    concepts = {
        plan.pk: set(plan.items.exclude(concept_slug="").values_list("concept_slug", flat=True))
        for plan in (research, ranking)
    }
    assert "softmax" in concepts[research.pk] & concepts[ranking.pk]
    assert "k-means" in concepts[ranking.pk] - concepts[research.pk]
    card(ada, "softmax", at(2026, 11, 29, 12))
    card(ada, "k-means", at(2026, 11, 29, 12))
    message = digest_of(ada, at(2026, 11, 30, 9))
    reviews = {s["plan"]: [r["concept"] for r in s["reviews"]] for s in message["json"]["plans"]}
    assert reviews == {research.pk: ["softmax"], ranking.pk: ["k-means", "softmax"]}
    assert message["subject"].endswith(" · 2 reviews due")


def test_reviews_due_are_worth_a_digest_on_a_day_with_nothing_else(small_kb):
    ada = make_person("ada")
    wednesday = at(2026, 12, 2, 9)  # 8 days before the interview: no countdown
    PlanItem.objects.filter(plan__owner=ada, date__lte=wednesday.date()).update(status="done")
    assert reminders.due(wednesday) == []
    card(ada, outside_concept(), at(2026, 12, 1, 0))  # not a concept of the plan
    tomorrow = card(ada, "softmax", at(2026, 12, 3, 0))  # due at midnight: tomorrow's
    assert reminders.due(wednesday) == []
    tomorrow.due = at(2026, 12, 2, 20)
    tomorrow.save()
    (found,) = reminders.due(wednesday)
    assert found.kinds == {"reviews_due"}
    (row_id,) = reminders.claim([found], wednesday)
    assert reminders.deliver(row_id, now=wednesday) == "sent"
    (message,) = mail.outbox
    assert message.subject == "Today: 0 items · LLM research interview in 8 days · 1 review due"
    assert "Due for review (1):\n- Softmax (due today)\n" in message.body


def test_rendering_a_digest_runs_a_pinned_number_of_queries(small_kb, django_assert_num_queries):
    """Plans, preference, items, resources, due reviews: the same five for any size."""
    ada = make_person("ada")
    card(ada, "softmax", at(2026, 11, 29, 0))
    zoe = make_person("zoe")
    for days in (8, 12):
        make_plan(zoe, team="ads-ranking", days=days)
    for slug in ("softmax", "bert", "k-means", "transformer", "tokenization"):
        card(zoe, slug, at(2026, 11, 28, 0))
    now = at(2026, 11, 30, 9)
    reminders.claim(reminders.due(now), now)
    deliveries = ReminderDelivery.objects.select_related("user")  # as deliver() reads it
    one, three = deliveries.get(user=ada), deliveries.get(user=zoe)
    with django_assert_num_queries(5):
        small = reminders.render(one)
    with django_assert_num_queries(5):
        large = reminders.render(three)
    assert len(small["json"]["plans"]) == 1 and len(large["json"]["plans"]) == 3
    assert sum(s["reviews_due"] for s in large["json"]["plans"]) > 5


# --- links in reminders -----------------------------------------------------------------------


def first_item_link(delivery) -> tuple[str, int]:
    item = reminders.render(delivery)["json"]["plans"][0]["items"][0]
    return item["done_link"].removeprefix("http://localhost:8000"), item["id"]


def replan_path(delivery) -> str:
    link = reminders.render(delivery)["json"]["plans"][0]["replan_link"]
    return link.removeprefix("http://localhost:8000")


def test_mark_done_link_names_the_item_and_plan_asks_then_marks(small_kb, client):
    delivery = claimed_delivery()
    path, item_id = first_item_link(delivery)
    item = PlanItem.objects.select_related("plan", "concept").get(pk=item_id)
    page = client.get(path)
    assert page.status_code == 200 and b"Mark this item as done?" in page.content
    text = page.content.decode()
    assert item.plan.title in text and item.concept.title in text
    assert f'href="http://localhost:8000/plans/{item.plan_id}/"' in text
    assert PlanItem.objects.get(pk=item_id).status == "pending"  # GET changes nothing
    assert b"Marked done." in client.post(path).content
    assert PlanItem.objects.get(pk=item_id).status == "done"
    again = client.post(path)  # a replay changes nothing more
    assert again.status_code == 200 and PlanItem.objects.get(pk=item_id).status == "done"


def test_a_replan_link_works_once(small_kb, client):
    delivery = claimed_delivery()
    path = replan_path(delivery)
    plan = Plan.objects.get(owner__username="ada")
    response = client.post(path)
    assert b"rescheduled" in response.content
    for _ in range(2):
        replay = client.post(path)
        assert replay.status_code == 400 and b"has changed since this link" in replay.content
    plan.refresh_from_db()
    assert plan.revision == 2


def test_revoked_links_stop_working(small_kb, client):
    delivery = claimed_delivery()
    done_path, item_id = first_item_link(delivery)
    replan = replan_path(delivery)
    preferences.preference_revoke_links(user=delivery.user)
    for path in (done_path, replan):
        response = client.post(path)
        assert response.status_code == 400 and b"revoked" in response.content
    assert PlanItem.objects.get(pk=item_id).status == "pending"
    assert Plan.objects.get(owner__username="ada").revision == 1


def test_a_link_for_another_persons_plan_cannot_be_made_by_editing_it(small_kb, client):
    delivery = claimed_delivery()
    path, _ = first_item_link(delivery)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(reverse("planner:mark-done", args=[forged]))
    assert response.status_code == 400 and b"not valid" in response.content


def test_a_mark_done_link_of_an_archived_plan_changes_nothing(small_kb, client):
    delivery = claimed_delivery()
    path, item_id = first_item_link(delivery)
    Plan.objects.filter(owner__username="ada").update(archived_at=timezone.now())
    response = client.post(path)
    assert response.status_code == 400 and b"archived" in response.content
    assert PlanItem.objects.get(pk=item_id).status == "pending"


def test_the_plan_page_behind_the_links_is_for_its_owner_only(small_kb, client):
    delivery = claimed_delivery()
    plan = Plan.objects.get(owner__username="ada")
    url = reverse("planner:plan", args=[plan.pk])
    assert client.get(url)["Location"].startswith("/accounts/login/?next=")
    client.force_login(get_user_model().objects.create_user("eve"))
    assert client.get(url).status_code == 404
    client.force_login(delivery.user)
    page = client.get(url)
    assert page.status_code == 200
    first = PlanItem.objects.filter(plan=plan, kind="learn").select_related("concept").first()
    assert plan.title in page.content.decode() and first.concept.title in page.content.decode()
    assert b"Sign in" in client.get("/accounts/login/").content


def test_a_tampered_link_is_refused(small_kb, client):
    response = client.get(reverse("planner:mark-done", args=["not-a-token"]))
    assert response.status_code == 400 and b"not valid" in response.content


def test_links_expire_after_two_weeks(small_kb, client, monkeypatch):
    delivery = claimed_delivery()
    path, _ = first_item_link(delivery)
    monkeypatch.setattr(links, "MAX_AGE", timedelta(seconds=-1))
    response = client.get(path)
    assert response.status_code == 400 and b"expired" in response.content


# --- preferences and the command ----------------------------------------------------------


def test_reading_preferences_stores_nothing_and_reminders_start_off(small_kb):
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    make_plan(ada, tz="America/New_York")
    preference = preferences.preference_get(user=ada)
    assert preference.pk is None and preference.enabled is False
    assert preference.timezone == "America/New_York"  # the plan's zone, not UTC
    assert not ReminderPreference.objects.exists()
    assert reminders.due(at(2026, 11, 30, 23)) == []
    stored = preferences.preference_update(user=ada, enabled=True)
    assert stored.pk and stored.timezone == "America/New_York"


def test_email_reminders_need_an_address_on_the_account(db):
    nobody = get_user_model().objects.create_user("nobody")  # made by an admin, no email
    with pytest.raises(PlanInputError, match="need an email address") as error:
        preferences.preference_update(user=nobody, enabled=True, email=True)
    assert error.value.field == "email"
    assert not ReminderPreference.objects.filter(user=nobody).exists()
    nobody.email = "nobody@example.org"
    nobody.save()
    assert preferences.preference_update(user=nobody, enabled=True, email=True).enabled


def test_rotating_the_webhook_secret_replaces_it(db):
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    first = preferences.preference_update(user=ada, enabled=True).webhook_secret
    second = preferences.preference_rotate_webhook_secret(user=ada).webhook_secret
    assert first != second and len(second) == 64
    assert ReminderPreference.objects.get(user=ada).webhook_secret == second


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"local_time": "25:00"}, "local_time"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "webhook_url"),
        ({"webhook_url": "http://127.0.0.1:6379/"}, "webhook_url"),
        ({"days_off": [7]}, "days_off"),
        ({"enabled": "yes"}, "enabled"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_name_the_field_and_change_nothing(changes, field):
    user = get_user_model().objects.create_user("ada")
    before = preferences.preference_update(user=user, timezone="Europe/Berlin")
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
    assert "daily_agenda" in out.getvalue() and "1 digest(s) due (dry run)" in out.getvalue()
    assert ReminderDelivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_send_reminders_claims_and_delivers(small_kb, monkeypatch):
    from prepgraph.celery import app

    make_person("ada")
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 11, 30, 9))
    app.conf.task_always_eager = True  # the real task, run inline: no broker in this test
    out = StringIO()
    try:
        call_command("send_reminders", stdout=out)
    finally:
        app.conf.task_always_eager = False
    assert ReminderDelivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1
    assert "1 claimed, 0 due again" in out.getvalue()
    assert "1 enqueued for the workers" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_send_reminders_says_when_the_broker_took_nothing(small_kb, monkeypatch):
    from planner.management.commands import send_reminders

    make_person("ada")
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 11, 30, 9))

    def broker_down(_):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(send_reminders, "nudge", broker_down)
    with pytest.raises(CommandError, match=r"only 0 of 1 reminder\(s\) reached the broker"):
        call_command("send_reminders", stdout=StringIO())
    assert ReminderDelivery.objects.get().status == "pending"  # still owed


def test_send_reminders_names_a_bad_now():
    with pytest.raises(CommandError, match="--now: 'yesterday' is not an ISO datetime"):
        call_command("send_reminders", "--now", "yesterday")
    with pytest.raises(CommandError, match="--now: give a UTC offset"):
        call_command("send_reminders", "--now", "2026-11-30T09:00:00")


def test_send_reminders_only_previews_another_time(small_kb):
    make_person("ada")
    with pytest.raises(CommandError, match="--now only previews: use it with --dry-run"):
        call_command("send_reminders", "--now", "2026-12-01T00:30:00+00:00")
    assert not ReminderDelivery.objects.exists()


def test_a_bad_time_zone_in_one_row_does_not_stop_everyone_elses_reminders(small_kb):
    make_person("ada")
    bob = make_person("bob")
    ReminderPreference.objects.filter(user=bob).update(timezone="Mars/Olympus")
    cy = make_person("cy")
    Plan.objects.filter(owner=cy).update(timezone="Mars/Olympus")
    found = reminders.due(at(2026, 11, 30, 9))
    assert [d.user_id for d in found] == [user_named("ada").pk]
