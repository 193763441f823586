"""Rate a self-test from the command line: the memory model's CLI (planner.memory_services).

    manage.py rate --user alice --concept self-attention --rating good --plan 12

The rating updates the person's card for the concept and is logged; with
--plan the next review is capped at that plan's interview, and the plan's pending
reviews of the concept move to where it is now due. Bad input names
its flag and changes nothing.
"""

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone as dj_timezone

from kb.errors import UnknownConcept
from kb.management.commands._base import KnowledgeBaseCommand
from planner import memory_services
from planner.domain import PlanInputError
from planner.memory import RATINGS
from planner.models import Plan
from planner.services import zone


class Command(KnowledgeBaseCommand):
    help = "Rate a self-test of a concept (again, hard, good, easy) and print its next review."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Whose memory (username).")
        parser.add_argument("--concept", required=True, help="Concept slug.")
        parser.add_argument("--rating", required=True, help=f"One of: {', '.join(RATINGS)}.")
        parser.add_argument(
            "--plan", help="The plan's id: the next review comes no later than its interview."
        )
        parser.add_argument(
            "--at",
            help="When the self-test was taken, ISO 8601 (default: now); without an offset, "
            "in the plan's time zone (UTC without --plan).",
        )

    def handle(self, *args, **o):
        user = get_user_model().objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user {o['user']!r}")
        plan = self._plan(o["plan"], user)
        when = self._when(o["at"], plan)
        try:
            card = memory_services.rating_record(
                user=user, concept_slug=o["concept"], rating=o["rating"], when=when, plan=plan
            )
        except (PlanInputError, UnknownConcept) as exc:
            raise CommandError(f"--{exc.message}") from exc
        tz = zone(plan.timezone) if plan else (when.tzinfo if when else UTC)
        due = card.due.astimezone(tz)
        again = f", {card.lapses} of them Again" if card.lapses else ""
        self.stdout.write(
            f"{o['concept']}: rated {o['rating']}; next review {due:%Y-%m-%d %H:%M %Z} "
            f"({card.reps} rating{'s' if card.reps != 1 else ''} so far{again})"
        )
        if plan is not None:
            moved = memory_services.reviews_moved_by(plan, card)
            if moved is None:
                self.stdout.write(f"plan {plan.pk} does not study {o['concept']}: no review moved")
            elif not moved.days:
                self.stdout.write(f"plan {plan.pk}: no room left to review {o['concept']}")
            else:
                listed = ", ".join(day.isoformat() for day in sorted(set(moved.days)))
                self.stdout.write(f"plan {plan.pk} reviews {o['concept']} on {listed}")

    @staticmethod
    def _plan(raw: str | None, user) -> Plan | None:
        if raw is None:
            return None
        if not raw.isdigit() or len(raw) > 18:
            raise CommandError(f"--plan: {raw!r} is not a plan id")
        plan = Plan.objects.filter(pk=int(raw), owner=user).first()
        if plan is None:
            raise CommandError(f"--plan: {user.username} has no plan {raw}")
        return plan

    @staticmethod
    def _when(raw: str | None, plan: Plan | None) -> datetime | None:
        if raw is None:
            return None
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--at: {raw!r} is not an ISO 8601 date and time") from None
        if dj_timezone.is_naive(when):
            when = when.replace(tzinfo=zone(plan.timezone) if plan else UTC)
        return when
