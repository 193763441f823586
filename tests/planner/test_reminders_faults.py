"""Fault injection on real parts: every due digest is delivered exactly once per channel.

Each test runs a real Redis it owns, real `celery worker` processes (prefork
pool), a webhook receiver on loopback and Django's file email backend as the
mailbox, breaks something the way production breaks, lets the dispatcher run
as beat would, and then checks the delivery rows, the mailbox and the
receiver: every digest sent, one email each, one accepted webhook each (a
repeat carries the same delivery id), nothing left sending, nothing failed
with attempts left.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from planner import reminders
from planner.models import ReminderDelivery
from planner.tasks import nudge
from prepgraph.celery import app
from tests.planner.faults import (
    Receiver,
    RedisServer,
    Worker,
    alive,
    mailbox_ids,
    make_person,
    redis_server_binary,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 5
TIME_LIMIT_SECONDS = 4


@pytest.fixture
def redis_server(tmp_path):
    binary = redis_server_binary()
    if binary is None:
        message = "no redis-server binary (scripts/test installs one)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.kill()


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def mailbox(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def outbox_settings(settings):
    """The dispatcher's side of the timing the workers get through their environment."""
    settings.REMINDER_SENDING_LEASE_SECONDS = LEASE_SECONDS
    settings.REMINDER_REENQUEUE_AFTER_SECONDS = 2
    settings.REMINDER_RETRY_BASE_SECONDS = 0.5
    settings.REMINDER_RETRY_MAX_SECONDS = 1
    settings.REMINDER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


@pytest.fixture
def start_worker(redis_server, mailbox, tmp_path, outbox_settings):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prepgraph.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": outbox_settings.SECRET_KEY,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mailbox),
        "REMINDER_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "REMINDER_WEBHOOK_TIMEOUT": "1",
        "REMINDER_TASK_TIME_LIMIT": str(TIME_LIMIT_SECONDS),
        "REMINDER_SENDING_LEASE_SECONDS": str(LEASE_SECONDS),
        "REMINDER_RETRY_BASE_SECONDS": "0.5",
        "REMINDER_RETRY_MAX_SECONDS": "1",
    }
    started: list[Worker] = []

    def start(*, supervised: bool = False, **overrides: str) -> Worker:
        log = tmp_path / f"worker{len(started)}.log"
        worker = Worker({**env, **overrides}, log, supervised=supervised)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def broker_sender(url: str):
    """planner.tasks.nudge, against this test's Redis, on a fresh connection every call."""

    def send(delivery_id: int) -> None:
        with app.connection_for_write(url) as connection_:
            nudge(delivery_id, connection=connection_, retry=False)

    return send


def dispatch_until_settled(redis_url: str, timeout: float = 60.0) -> None:
    """Beat's job, compressed: dispatch every 0.3 s until no digest is owed any more."""
    send = broker_sender(redis_url)

    def settled() -> bool:
        reminders.dispatch(timezone.now(), send)
        return not ReminderDelivery.objects.filter(status__in=["pending", "sending"]).exists()

    assert wait_for(settled, timeout=timeout, every=0.3), list(
        ReminderDelivery.objects.values("status", "attempts", "last_error")
    )


def assert_each_delivered_once(mailbox, receiver: Receiver | None = None) -> None:
    rows = list(ReminderDelivery.objects.select_related("user__reminder_preference"))
    assert rows, "nothing was due"
    assert all(row.status == "sent" for row in rows), [(r.status, r.last_error) for r in rows]
    uids = sorted(str(row.uid) for row in rows)
    assert sorted(mailbox_ids(mailbox)) == uids  # one email per digest, none twice
    if receiver is not None:
        hooked = {str(row.uid) for row in rows if row.user.reminder_preference.webhook_url}
        accepted = {r.delivery_id for r in receiver.requests if r.status == 200}
        assert accepted == hooked  # every digest reached the receiver...
        assert {r.delivery_id for r in receiver.requests} == hooked  # ...repeats keep its id


def test_pool_child_killed_mid_send_is_taken_back_and_sent_once(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    held = threading.Event()
    receiver.policy = lambda n: ("block", held) if n == 1 else 200
    make_person("ada", receiver.url)
    worker = start_worker()
    reminders.dispatch(timezone.now(), broker_sender(redis_server.url))
    assert wait_for(lambda: len(receiver.requests) == 1), worker.tail()
    row = ReminderDelivery.objects.get()
    assert row.status == "sending" and row.channels_sent == ["email"]
    (child,) = worker.pool_children()
    os.kill(child, signal.SIGKILL)  # mid-send: the webhook request is in flight
    held.set()
    dispatch_until_settled(redis_server.url)
    assert_each_delivered_once(mailbox, receiver)
    assert len(receiver.requests) == 2 and ReminderDelivery.objects.get().attempts == 2
    assert alive(worker.process.pid)  # celery replaced the child; the worker lives on


def test_whole_worker_killed_is_restarted_by_its_supervisor_and_sends_once(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    held = threading.Event()
    receiver.policy = lambda n: ("block", held) if n == 1 else 200
    make_person("ada", receiver.url)
    make_person("bob", None)
    worker = start_worker(supervised=True)
    first = worker.celery_pid()
    reminders.dispatch(timezone.now(), broker_sender(redis_server.url))
    assert wait_for(lambda: len(receiver.requests) == 1), worker.tail()
    for pid in [*worker.pool_children(), first]:  # the OOM killer takes the whole worker
        os.kill(pid, signal.SIGKILL)
    held.set()
    worker.wait_ready(count=2)  # scripts/worker started a new one
    assert worker.celery_pid() not in (None, first)
    dispatch_until_settled(redis_server.url)
    assert_each_delivered_once(mailbox)
    ada = ReminderDelivery.objects.get(user__username="ada")
    assert {r.delivery_id for r in receiver.requests} == {str(ada.uid)}  # a repeat keeps its id


def test_redis_restarted_while_retries_wait_neither_kills_the_worker_nor_loses_a_digest(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    receiver.policy = lambda n: 500 if n <= 2 else 200
    make_person("ada", receiver.url)
    worker = start_worker(REMINDER_RETRY_BASE_SECONDS="4")  # the retry waits 2-4 s
    send = broker_sender(redis_server.url)
    reminders.dispatch(timezone.now(), send)
    assert wait_for(lambda: len(receiver.requests) >= 1), worker.tail()
    assert wait_for(lambda: ReminderDelivery.objects.get().status == "pending")  # waiting
    assert ReminderDelivery.objects.get().next_attempt_at > timezone.now()
    for _ in range(3):  # extra nudges in flight when Redis goes (they are harmless)
        send(ReminderDelivery.objects.get().pk)
    redis_server.restart()  # no persistence: every message in Redis is gone
    time.sleep(3)
    assert alive(worker.process.pid), worker.tail()
    assert "Unrecoverable error" not in worker.text()
    dispatch_until_settled(redis_server.url)
    assert_each_delivered_once(mailbox, receiver)
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert alive(worker.process.pid), worker.tail()


def test_redis_down_during_dispatch_fails_fast_and_the_next_dispatch_delivers(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    make_person("ada", receiver.url)
    make_person("bob", None)
    worker = start_worker()
    redis_server.kill()
    started = time.monotonic()
    report = reminders.dispatch(timezone.now(), broker_sender(redis_server.url))
    assert time.monotonic() - started < 15  # fails fast, does not hang
    assert len(report.claimed) == 2 and report.enqueued == 0
    assert set(ReminderDelivery.objects.values_list("status", flat=True)) == {"pending"}
    redis_server.start()
    dispatch_until_settled(redis_server.url)
    assert_each_delivered_once(mailbox, receiver)
    assert alive(worker.process.pid), worker.tail()


def test_a_receiver_slower_than_the_timeout_gets_the_repeat_with_the_same_delivery_id(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    receiver.policy = lambda n: ("sleep", 2.5) if n == 1 else 200  # the timeout is 1 s
    make_person("ada", receiver.url)
    start_worker()
    dispatch_until_settled(redis_server.url)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.delivery_id == second.delivery_id  # a receiver drops the repeat by its id
    assert sorted(mailbox_ids(mailbox)) == [str(ReminderDelivery.objects.get().uid)]


def test_two_dispatchers_at_once_deliver_each_digest_once(
    small_kb, start_worker, redis_server, receiver, mailbox
):
    for name in ("ada", "bob", "cy", "dee"):
        make_person(name, receiver.url)
    start_worker()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def beat():
        barrier.wait()
        try:
            dispatch_until_settled(redis_server.url)
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == []
    assert_each_delivered_once(mailbox, receiver)
    assert set(ReminderDelivery.objects.values_list("attempts", flat=True)) == {1}
