"""Run the reminder dispatcher once: claim what is due now and enqueue its delivery.

Beat does this every minute; this command is for operators and cron-less
setups. --dry-run only lists what is due and claims nothing.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from planner import reminders
from planner.tasks import deliver_reminder


class Command(BaseCommand):
    help = "Claim the reminders due now and enqueue them for the Celery workers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; change nothing."
        )
        parser.add_argument(
            "--now", help="Pretend it is this ISO datetime (with offset), for testing."
        )

    def handle(self, *args, dry_run: bool, now: str | None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: {now!r} is not an ISO datetime") from None
            if moment.tzinfo is None:
                raise CommandError("--now: give a UTC offset, e.g. 2026-12-01T08:00:00+00:00")
        report = reminders.dispatch(moment, deliver_reminder.delay, dry_run=dry_run)
        for item in report.due:
            self.stdout.write(
                f"  {item.local_date}  user {item.user_id}  plan {item.plan_id}  {item.kind}"
            )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{len(report.due)} reminder(s) due (dry run)"))
        else:
            claimed, requeued = len(report.claimed), len(report.requeued)
            self.stdout.write(
                self.style.SUCCESS(f"{claimed} claimed and enqueued, {requeued} re-enqueued")
            )
