"""Replan a saved plan from today, from the command line: keep what is done, plan the rest.

    manage.py replan --plan 12 --user alice --interview 2026-12-21 --hours weekdays=1,weekends=4

The same path as the API's POST /plans/{id}/replan/ and the plan page's Replan:
the same checks of the new interview date, hours and days off, then
planner.services.replan (items before today stay as history, done items are
kept, everything else from today on is planned again). Then the new plan is
printed as show_plan prints it, and a line says what moved. Bad input names
its flag and changes nothing.
"""

from typing import Any

from django.core.management.base import CommandError

from kb.management.commands._base import KnowledgeBaseCommand, split_slugs
from planner import services
from planner.core import PlanInputError
from planner.management.commands.plan import _date
from planner.management.commands.show_plan import owned_plan, owner, render
from planner.models import ItemKind, ItemStatus, Plan
from planner.selection import hours_text

FORMATS = ("table", "json", "markdown")
FLAGS = {"interview": "--interview", "hours": "--hours", "blackout": "--blackout"}


def _changes(o: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """The options as services.replan's arguments, checked as the API's ReplanSerializer."""
    changes: dict[str, Any] = {}
    if o["interview"] is not None:
        changes["interview"] = _date(o["interview"], "--interview")
    if o["hours"] is not None:
        try:
            changes["hours_per_weekday"] = services.parse_hours(o["hours"])
        except PlanInputError as exc:
            raise CommandError(f"--{exc.message}") from exc
    if o["blackout"] is not None:
        days = [] if o["blackout"].strip().lower() == "none" else split_slugs(o["blackout"])
        changes["blackout"] = tuple(_date(day, "--blackout") for day in days)
    problems = services.date_problems(
        services.local_today(plan.timezone),
        changes.get("interview"),
        None,
        changes.get("blackout", ()),
    )
    if problems:
        field, message = next(iter(problems.items()))
        raise CommandError(f"{FLAGS[field]}: {message[0].lower()}{message[1:].rstrip('.')}")
    return changes


def _work(rows: list[tuple]) -> str:
    """'12 items (9 h 30)': study items (buffers are slack, not counted) and their time."""
    minutes = sum(row[4] for row in rows)
    return f"{len(rows)} item{'s' if len(rows) != 1 else ''} ({hours_text(minutes)})"


def moved_line(before: list[tuple], old: Plan, plan: Plan) -> str:
    """What the replan did, from the items before and after it (id, date, kind, status,
    minutes): what from today on was planned again, what was kept done, what was missed."""
    today = services.plan_inputs(plan).start
    after = list(plan.items.values_list("pk", "date", "kind", "status", "minutes"))
    old_ids = {row[0] for row in before}
    study = [row for row in before if row[2] != ItemKind.BUFFER]
    replaced = [row for row in study if row[1] >= today and row[3] != ItemStatus.DONE]
    kept = [row for row in before if row[3] == ItemStatus.DONE]
    missed = [row for row in study if row[1] < today and row[3] == ItemStatus.PENDING]
    new = [row for row in after if row[0] not in old_ids and row[2] != ItemKind.BUFFER]
    last = max((row[1] for row in new), default=None)
    line = (
        f"Replanned plan {plan.pk} from {today:%a %d %b} (revision {old.revision} -> "
        f"{plan.revision}): {_work(replaced)} not done from today on rescheduled as "
        f"{_work(new)} with new ids"
        + (f", the last on {last:%a %d %b}" if last else "")
        + f"; kept {_work(kept)} marked done"
    )
    if missed:
        line += f"; {_work(missed)} missed before today stay as history"
    old_interview = services.plan_inputs(old).interview
    new_interview = services.plan_inputs(plan).interview
    if new_interview != old_interview:
        line += f"; interview {new_interview.isoformat()} (was {old_interview.isoformat()})"
    was, now = old.summary.get("coverage"), plan.summary.get("coverage")
    if was is not None and now is not None and round(was, 2) != round(now, 2):
        line += f"; coverage {now:.0%} (was {was:.0%})"
    return line + "."


class Command(KnowledgeBaseCommand):
    help = (
        "Replan a saved plan from today (in its time zone): what you marked done is kept, "
        "everything else is planned again, optionally for a new interview date, new hours or "
        "new days off. Prints the new plan with its item ids, and what moved."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="The plan's id.")
        parser.add_argument("--user", required=True, help="The plan's owner (username).")
        parser.add_argument(
            "--interview", help="A new interview date, YYYY-MM-DD (default: keep it)."
        )
        parser.add_argument(
            "--hours",
            help="New hours per day, as plan takes them: weekdays=2,weekends=4 | mon=1,sat=3 | "
            "7 numbers | one number (default: keep them).",
        )
        parser.add_argument(
            "--blackout",
            help="New days off, replacing the old ones: 2026-12-24,2026-12-25, or none "
            "(default: keep them).",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="table",
            help="How to print the new plan: table (default), json (the plan JSON contract, "
            "plus progress; what moved goes to stderr) or markdown.",
        )

    def handle(self, *args, **o):
        plan = owned_plan(o["plan"], owner(o["user"]))
        changes = _changes(o, plan)
        before = list(plan.items.values_list("pk", "date", "kind", "status", "minutes"))
        try:
            replanned = services.replan(plan=plan, **changes)
        except PlanInputError as exc:
            if exc.field in FLAGS:
                raise CommandError(f"--{exc.message}") from exc
            raise CommandError(f"plan {plan.pk} cannot be replanned: {exc.message}") from exc
        replanned.refresh_from_db()
        self.stdout.write(render(replanned, o["format"]), ending="")
        line = moved_line(before, plan, replanned)
        # JSON stays parseable on stdout: the account goes to stderr, as plan's "Saved plan".
        (self.stderr if o["format"] == "json" else self.stdout).write(
            ("\n" if o["format"] != "json" else "") + line
        )
