"""Show a saved plan with each item's id and status, to follow it from the command line.

    manage.py show_plan --plan 12 --user alice                # the whole plan
    manage.py show_plan --plan 12 --user alice --day today    # today, with its progress

The plan is the API's (planner.formats.plan_payload, as GET /plans/{id}/) and its
progress the plan page's (planner.selectors.plan_progress). Only the owner sees a
plan: anyone else's is "no plan", as a plan that does not exist. Nothing is written.

mark and replan import the helpers below, so the three commands read their
--user and --plan, and print a plan, the same way.
"""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from kb.management.commands._base import KnowledgeBaseCommand
from planner import calendar, formats, selectors, services
from planner.models import Plan
from planner.progress import Progress
from planner.selection import hours_text

FORMATS = ("table", "json", "markdown", "ics")
RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}


# --- shared by show_plan, mark and replan ---------------------------------------------------


def owner(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user: no user {username!r}")
    return user


def owned_plan(raw: str, user) -> Plan:
    """`user`'s plan `raw`: another user's plan is refused exactly as one that does not exist."""
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 18:
        raise CommandError(f"--plan: {raw!r} is not a plan id (show_plan prints it)")
    plan = Plan.objects.select_related("team").filter(pk=int(raw), owner=user).first()
    if plan is None:
        raise CommandError(f"--plan: {user.username} has no plan {raw}")
    return plan


def mark_hint(plan: Plan) -> str:
    username = plan.owner.get_username()
    return (
        f"[x] done, [-] skipped, [ ] pending. Mark items: manage.py mark --plan {plan.pk} "
        f"--user {username} --item ID[,ID...] --status done|skipped|pending"
    )


def progress_json(measured: Progress, plan: Plan) -> dict[str, Any]:
    """The plan page's progress, as JSON (added to the contract: fields are only added)."""
    return {
        "today": measured.today.isoformat(),
        "days_left": services.days_until(plan, measured.today),
        "done_minutes": measured.done,
        "planned_minutes": measured.planned,
        "skipped_minutes": measured.skipped,
        "percent": measured.percent,
        "behind_days": measured.behind,
        "ahead_days": measured.ahead,
        "text": measured.text,
    }


def heading(plan: Plan, measured: Progress) -> list[str]:
    """'Plan 12, revision 2: LLM Pre-training Research interview on 2026-12-18 (18 days
    left)' and its progress."""
    left = services.days_until(plan, measured.today)
    when = {0: "interview today", 1: "1 day left"}.get(left, f"{left} days left")
    if left < 0:
        when = "interview passed"
    archived = ", archived" if plan.archived_at else ""
    return [
        f"Plan {plan.pk}, revision {plan.revision}: {plan.title} ({when}{archived})",
        f"Progress: {measured.text}",
    ]


def render(plan: Plan, fmt: str, *, day: date | None = None) -> str:
    """The plan (or its day `day`) in `fmt`, with item ids, statuses and the progress."""
    payload = formats.plan_payload(plan)
    measured = selectors.plan_progress(plan)
    if fmt == "ics":
        return calendar.to_ics(payload, key=str(plan.uid), stamp=plan.updated_at).decode()
    if day is not None:
        return _render_day(plan, payload, measured, fmt, day)
    if fmt == "json":
        payload["progress"] = progress_json(measured, plan)
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        title, _, rest = formats.to_markdown(payload, ids=True).partition("\n")
        lines = [title, "", *heading(plan, measured), "", mark_hint(plan)]
        return "\n".join(lines) + "\n" + rest
    lines = [*heading(plan, measured), mark_hint(plan), "", ""]
    return "\n".join(lines) + formats.to_table(payload, ids=True)


def _render_day(
    plan: Plan, payload: dict[str, Any], measured: Progress, fmt: str, day: date
) -> str:
    found = next((d for d in payload["days"] if d["date"] == day.isoformat()), None)
    if found is None:
        days = payload["days"]
        span = f"{days[0]['date']} to {days[-1]['date']}" if days else "no days"
        raise CommandError(f"--day: {day.isoformat()} is not a day of plan {plan.pk} ({span})")
    progress = next((p for p in measured.days if p.date == day), None)
    planned, done = (progress.planned, progress.done) if progress else (0, 0)
    which = "today" if day == measured.today else f"{day:%a %d %b}"
    day_text = f"{which}: {hours_text(done) if done else '0'} of {hours_text(planned)} done"
    if fmt == "json":
        payload["days"] = [found]
        payload["progress"] = progress_json(measured, plan) | {
            "day": {"date": day.isoformat(), "planned_minutes": planned, "done_minutes": done}
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    title, overall = heading(plan, measured)
    day_line = f"Day's work {day_text} (buffers not counted)"
    if fmt == "markdown":
        lines = [f"# {title}", *formats.markdown_day_lines(found, ids=True)]
        lines += ["", day_line, overall, "", mark_hint(plan)]
    else:
        width = formats.id_column([found])
        lines = [title, *formats.table_day_lines(found, id_width=width)]
        lines += ["", day_line, overall, mark_hint(plan)]
    return "\n".join(lines) + "\n"


def write(command, text: str, output: str | None, what: str) -> None:
    """`text` to stdout, or to the file `output` (saying so on stderr)."""
    if not output:
        command.stdout.write(text, ending="")
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--output: cannot write {output}: {exc.strerror}") from None
    command.stderr.write(command.style.SUCCESS(f"Wrote {what} to {output}"))


# --- the command ------------------------------------------------------------------------------


def _day(raw: str, plan: Plan) -> date:
    key = raw.strip().lower()
    if key in RELATIVE_DAYS:
        return services.local_today(plan.timezone) + timedelta(days=RELATIVE_DAYS[key])
    try:
        return date.fromisoformat(key)
    except ValueError:
        raise CommandError(
            f"--day: {raw!r} is not a date (YYYY-MM-DD, today, tomorrow or yesterday)"
        ) from None


class Command(KnowledgeBaseCommand):
    help = (
        "Show a saved plan with each item's id and status (done [x], skipped [-], pending "
        "[ ]), to mark items with `mark` and replan with `replan`. --day shows one day and "
        "its progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="The plan's id (plan --save prints it).")
        parser.add_argument("--user", required=True, help="The plan's owner (username).")
        parser.add_argument(
            "--day",
            help="Only this day: YYYY-MM-DD, or today, tomorrow, yesterday in the plan's "
            "time zone; with the day's progress.",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="table",
            help="table (default), json (the plan JSON contract, plus progress), markdown, "
            "or ics (the whole plan as a calendar).",
        )
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args, **o):
        plan = owned_plan(o["plan"], owner(o["user"]))
        day = _day(o["day"], plan) if o["day"] is not None else None
        if day is not None and o["format"] == "ics":
            raise CommandError("--day: a calendar (--format ics) holds the whole plan")
        text = render(plan, o["format"], day=day)
        write(self, text, o["output"], f"plan {plan.pk} ({o['format']})")
