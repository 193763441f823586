"""Run the reminder dispatcher once: settle the outbox, claim what is due, nudge the workers.

Beat does this every minute; this command is for operators and cron-less
setups. --dry-run only lists what is due and changes nothing. It says how
many nudges reached the broker, so a Redis outage shows instead of hiding
behind "claimed".
"""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from planner import reminders
from planner.tasks import nudge


class Command(BaseCommand):
    help = "Claim the reminders due now and enqueue them for the Celery workers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; change nothing."
        )
        parser.add_argument(
            "--now",
            help="With --dry-run: list what would be due at this ISO datetime (with offset).",
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
            if not dry_run:
                # A real dispatch at a pretended time would claim real digests for a day that
                # has not come, frozen with today's plans and sent late: only preview it.
                raise CommandError("--now only previews: use it with --dry-run")
        report = reminders.dispatch(moment, nudge, dry_run=dry_run)
        for item in report.due:
            kinds = ", ".join(sorted(item.kinds))
            plans = len(item.sections)
            self.stdout.write(f"  {item.local_date}  user {item.user_id}  {plans} plan(s)  {kinds}")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{len(report.due)} digest(s) due (dry run)"))
            return
        recovery = report.recovery
        self.stdout.write(
            f"{len(report.claimed)} claimed, {len(report.requeued)} due again, "
            f"{recovery.lost} taken back from lost workers, {recovery.expired} expired"
        )
        enqueued, waiting = report.enqueued, len(report.ready)
        if enqueued is None:  # called inside a transaction: the nudges wait for its commit
            self.stdout.write(f"{waiting} to enqueue when the transaction commits")
            return
        if enqueued < waiting:
            raise CommandError(
                f"only {enqueued} of {waiting} reminder(s) reached the broker "
                f"({settings.CELERY_BROKER_URL}); they stay owed in the database and "
                "the next dispatch sends them"
            )
        self.stdout.write(self.style.SUCCESS(f"{enqueued} enqueued for the workers"))
