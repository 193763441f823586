"""Refit people's FSRS parameters now: the daily beat task's work, run by hand.

    manage.py fsrs_refit                 # everyone due, as beat runs it
    manage.py fsrs_refit --user alice    # alice, with any new ratings since her last fit
    manage.py fsrs_refit --all           # everyone with enough ratings, new ones or not

Who is due is planner.memory_services.refit_candidates' rule: at least
REFIT_MIN_RATINGS ratings, and REFIT_MIN_NEW_RATINGS of them since the last
fit. Naming a person or --all drops the second condition: an operator who asks
for a refit (after an fsrs upgrade, say) gets one. Exits 1 when the optimizer
extra is not installed (saying what to install), when a named person cannot be
fitted, or when any fit failed; the others are refitted all the same.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from planner import memory_services
from planner.memory import OptimizerNotInstalled


class Command(BaseCommand):
    help = "Refit FSRS parameters for people with enough new self-test ratings."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--user", metavar="USERNAME", help="Refit this person only, even with few new ratings."
        )
        which.add_argument(
            "--all",
            action="store_true",
            help="Refit everyone with enough ratings, even with few new since their last fit.",
        )

    def handle(self, *args, **options):
        user, everyone = options["user"], options["all"]
        user_ids = None
        if user is not None:
            found = get_user_model().objects.filter(username=user).values_list("pk", flat=True)
            user_ids = list(found)
            if not user_ids:
                raise CommandError(f"--user: no user {user!r}")
        forced = user is not None or everyone
        try:
            run = memory_services.parameters_refit_due(
                user_ids=user_ids,
                min_new=0 if forced else memory_services.REFIT_MIN_NEW_RATINGS,
            )
        except OptimizerNotInstalled as exc:
            raise CommandError(exc.message) from exc
        for candidate in run.refitted:
            self.stdout.write(
                f"{candidate.username}: refitted from {candidate.ratings} ratings "
                f"({candidate.new_ratings} new since the last fit)"
            )
        for candidate, error in run.failed:
            self.stderr.write(f"{candidate.username}: refit failed: {error}")
        if user is not None and not run.chosen:
            raise CommandError(
                f"--user: {user} has fewer than {memory_services.REFIT_MIN_RATINGS} "
                "ratings; there is nothing to fit yet"
            )
        if run.failed:
            raise CommandError(
                f"{len(run.failed)} of {run.chosen} refit(s) failed (see above); "
                "the others were stored"
            )
        if not run.chosen:
            needs = f"{memory_services.REFIT_MIN_RATINGS} ratings"
            if not forced:
                needs += f", {memory_services.REFIT_MIN_NEW_RATINGS} of them new since the last fit"
            self.stdout.write(f"No one is due a refit (it takes {needs}).")
            return
        self.stdout.write(self.style.SUCCESS(f"{len(run.refitted)} refitted"))
