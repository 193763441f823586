"""Thin Celery tasks: ids in, planner.reminders and planner.memory_services do the work.

No retry policy lives here: a failed delivery waits in its database row for
its next attempt, and the dispatcher nudges it again. A message is only ever
a nudge, so tasks ack early and a lost one costs nothing but a minute. The
daily FSRS refit is the same: whoever it misses is still due the next day.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from planner import memory_services, reminders
from planner.memory import OptimizerNotInstalled

log = logging.getLogger(__name__)


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


@shared_task(
    name="planner.tasks.refit_fsrs_parameters",
    ignore_result=True,
    # Fits take seconds each (torch): this task's own limits, not the reminders' minute.
    time_limit=settings.FSRS_REFIT_TIME_LIMIT,
    soft_time_limit=max(1, settings.FSRS_REFIT_TIME_LIMIT * 3 // 4),
)
def refit_fsrs_parameters(user_ids: list[int] | None = None) -> int:
    """Refit the FSRS parameters of everyone due (or of `user_ids`); how many were refitted.

    A worker without the optimizer extra logs what to install and returns:
    failing the task would only repeat that every day in a traceback.
    """
    try:
        run = memory_services.parameters_refit_due(
            user_ids=user_ids, stop_on=(SoftTimeLimitExceeded,)
        )
    except OptimizerNotInstalled as exc:
        log.error("FSRS refit skipped: %s", exc.message)
        return 0
    log.info(
        "FSRS refit: %s refitted, %s failed, %s left for the next run",
        len(run.refitted),
        len(run.failed),
        len(run.not_reached),
    )
    return len(run.refitted)
