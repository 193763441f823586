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
    report = reminders.dispatch(timezone.now(), nudge)
    return len(report.ready)


@shared_task(name="planner.tasks.deliver_reminder", ignore_result=True, acks_late=False)
def deliver_reminder(delivery_id: int) -> str:
    return reminders.deliver(delivery_id)


def nudge(delivery_id: int, **options) -> None:
    """Enqueue a delivery with no time limits in the message.

    Celery copies the sender's limits into each message, and the worker obeys
    those over its own; the sending lease is sized to the worker's limit
    (REMINDER_SENDING_LEASE_SECONDS > REMINDER_TASK_TIME_LIMIT in the worker's
    settings), so only the worker's limit may apply.
    """
    deliver_reminder.apply_async((delivery_id,), time_limit=None, soft_time_limit=None, **options)
