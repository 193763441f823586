"""Thin Celery tasks: ids in, planner.reminders does the work, retry policy here."""

import random

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from planner import reminders


@shared_task(name="planner.tasks.dispatch_due_reminders", ignore_result=True)
def dispatch_due_reminders() -> int:
    report = reminders.dispatch(timezone.now(), deliver_reminder.delay)
    return len(report.claimed)


@shared_task(
    bind=True,
    name="planner.tasks.deliver_reminder",
    ignore_result=True,
    acks_late=True,  # a worker lost mid-task leaves the message to be redelivered...
    reject_on_worker_lost=True,  # ...and reminders.deliver makes the rerun harmless
    max_retries=None,  # bounded by REMINDER_MAX_ATTEMPTS below, read at run time
)
def deliver_reminder(self, delivery_id: int) -> str:
    try:
        return reminders.deliver(delivery_id)
    except reminders.DeliveryFailed as exc:
        if self.request.retries + 1 >= settings.REMINDER_MAX_ATTEMPTS:
            return "failed"
        delay = reminders.retry_delay(self.request.retries, jitter=random.random())
        raise self.retry(exc=exc, countdown=delay) from exc
