"""Thin Celery tasks: ids in, planner.reminders does the work.

No retry policy lives here: a failed delivery waits in its database row for
its next attempt, and the dispatcher nudges it again. A message is only ever
a nudge, so tasks ack early and a lost one costs nothing but a minute.
"""

from celery import shared_task
from django.utils import timezone

from planner import reminders


@shared_task(name="planner.tasks.dispatch_due_reminders", ignore_result=True)
def dispatch_due_reminders() -> int:
    report = reminders.dispatch(timezone.now(), deliver_reminder.delay)
    return len(report.ready)


@shared_task(name="planner.tasks.deliver_reminder", ignore_result=True, acks_late=False)
def deliver_reminder(delivery_id: int) -> str:
    return reminders.deliver(delivery_id)
