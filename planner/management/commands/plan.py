"""Build a study plan from the command line and print it (or store it with --save).

The same path as the API: planner.services resolves the inputs, planner.core
plans, planner.formats renders. Without --save nothing is written.
"""

import json
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from kb.management.commands._base import KnowledgeBaseCommand, split_slugs
from planner import calendar, formats, services
from planner.core import PlanInputError

FORMATS = ("table", "json", "markdown", "ics")


def _date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def _time(value: str, flag: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag}: {value!r} is not a time (HH:MM)") from None


def _tracks(value: str) -> dict[str, float]:
    tracks = {}
    for part in split_slugs(value):
        slug, _, raw = part.partition("=")
        try:
            tracks[slug.strip()] = float(raw) if raw else 1.0
        except ValueError:
            raise CommandError(f"--tracks: weight {raw!r} of {slug!r} is not a number") from None
    return tracks


class Command(KnowledgeBaseCommand):
    help = "Plan the study days until an interview, prerequisites first, within your hours."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="Team profile slug (see the teams in the KB).")
        parser.add_argument(
            "--tracks", default="", help="Tracks with weights: nlp=1,ml-evaluation=0.5"
        )
        parser.add_argument("--targets", default="", help="Explicit target concepts: a,b")
        parser.add_argument("--interview", required=True, help="Interview date, YYYY-MM-DD.")
        parser.add_argument("--interview-time", default="09:00", help="Local time, HH:MM.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin.")
        parser.add_argument("--start", help="First study day (default: today in --timezone).")
        parser.add_argument(
            "--hours",
            default="weekdays=2,weekends=4",
            help="Hours per day: weekdays=2,weekends=4 | mon=1,sat=3 | 7 numbers | one number.",
        )
        parser.add_argument("--blackout", default="", help="Days off: 2026-12-24,2026-12-25")
        parser.add_argument("--known", default="", help="Concepts you know: a,b")
        parser.add_argument("--shaky", default="", help="Concepts to review, not learn: a,b")
        parser.add_argument(
            "--background",
            help="A background preset (see list_backgrounds), e.g. ml-engineer; "
            "--known and --shaky add to it.",
        )
        parser.add_argument(
            "--known-areas",
            default="",
            help="Areas you know, every concept in them: math,statistics",
        )
        parser.add_argument("--shaky-areas", default="", help="Areas to review, not learn: nlp,cv")
        parser.add_argument("--role", help="ml-engineer or research-scientist (default: team's).")
        parser.add_argument(
            "--recommended", action="store_true", help="Include recommended prerequisites."
        )
        parser.add_argument(
            "--min-session", type=int, default=30, help="Shortest session, minutes."
        )
        parser.add_argument(
            "--study-time", default="19:00", help="When you study (for .ics), HH:MM."
        )
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        parser.add_argument("--save", action="store_true", help="Store the plan (needs --user).")
        parser.add_argument("--user", help="Owner of a saved plan (username).")

    def handle(self, *args, **o):
        inputs = services.PlanInputs(
            interview=_date(o["interview"], "--interview"),
            interview_time=_time(o["interview_time"], "--interview-time"),
            timezone=o["timezone"],
            team=o["team"],
            tracks=_tracks(o["tracks"]),
            targets=tuple(split_slugs(o["targets"])),
            start=_date(o["start"], "--start") if o["start"] else None,
            hours_per_weekday=self._hours(o["hours"]),
            blackout=tuple(_date(d, "--blackout") for d in split_slugs(o["blackout"])),
            known=tuple(split_slugs(o["known"])),
            shaky=tuple(split_slugs(o["shaky"])),
            background=o["background"],
            known_areas=tuple(split_slugs(o["known_areas"])),
            shaky_areas=tuple(split_slugs(o["shaky_areas"])),
            role=o["role"],
            include_recommended=o["recommended"],
            min_session_minutes=o["min_session"],
            study_time=_time(o["study_time"], "--study-time"),
        )
        if o["save"]:
            payload, key, stamp = self._save(inputs, o["user"])
        else:
            resolved, schedule = services.preview_plan(inputs)
            payload = formats.preview_payload(resolved, schedule)
            key = calendar.preview_key(payload)
            # DTSTAMP says when the calendar was made: the plan's first day, not the clock,
            # so the same request prints the same file (and never a stamp in the future
            # of the events, as the interview's time was).
            stamp = datetime.combine(resolved.request.start, time.min, tzinfo=UTC)
        text = self._render(payload, o["format"], key, stamp)
        if o["output"]:
            Path(o["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(
                self.style.SUCCESS(f"Wrote the plan ({o['format']}) to {o['output']}")
            )
        else:
            self.stdout.write(text, ending="")

    def _hours(self, raw: str) -> tuple[float, ...]:
        try:
            return services.parse_hours(raw)
        except PlanInputError as exc:
            raise CommandError(f"--{exc.message}") from exc

    def _save(self, inputs, username):
        if not username:
            raise CommandError("--user: a saved plan needs an owner (--user USERNAME)")
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise CommandError(f"--user: no user {username!r}")
        new = services.store_new_plan(owner=owner, inputs=inputs)
        plan = new.plan
        self.stderr.write(self.style.SUCCESS(f"Saved plan {plan.pk} for {username}"))
        return formats.new_plan_payload(new), str(plan.uid), plan.updated_at

    def _render(self, payload, fmt, key, stamp) -> str:
        if fmt == "json":
            return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        if fmt == "markdown":
            return formats.to_markdown(payload)
        if fmt == "ics":
            return calendar.to_ics(payload, key=key, stamp=stamp).decode()
        return formats.to_table(payload)
