"""A plan as an iCalendar (RFC 5545) file, built with the icalendar package.

One event per study day (the block of that day's items) at the person's
preferred local time, with a reminder alarm, plus the interview itself. UIDs
depend only on the plan's identity and the date, and SEQUENCE is the plan's
revision, so re-importing or re-subscribing after a replan updates events
instead of duplicating them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from planner.services import zone

PRODID = "-//prepgraph//study plan//EN"
ALARM_BEFORE = timedelta(minutes=15)
INTERVIEW_DAY_GAP = timedelta(hours=1)  # between the last review and the interview
UID_NAMESPACE = uuid.UUID("5b0cf6a4-3c55-4a7e-9d0b-5f0f3f0d7a11")


def preview_key(payload: dict[str, Any]) -> str:
    """A stable identity for an unsaved plan: who it is for and when, not how it is filled."""
    identity = f"{payload['team']}|{payload['interview']}|{payload['timezone']}"
    return str(uuid.uuid5(UID_NAMESPACE, identity))


def _describe(items: list[dict[str, Any]]) -> str:
    lines = []
    for item in items:
        lines.append(f"- {item['kind']}: {item['title']} ({item['minutes']} min)")
        for resource in item.get("resources", []):
            lines.append(f"    {resource['title']}: {resource['url']}")
        for question in item.get("questions", []):
            lines.append(f"    Q: {question['text']}")
    return "\n".join(lines)


def _summary_line(items: list[dict[str, Any]]) -> str:
    learn = [i["title"] for i in items if i["kind"] == "learn"]
    mocks = [i["title"] for i in items if i["kind"] == "mock"]
    reviews = sum(1 for i in items if i["kind"] in ("review", "practice"))
    parts = []
    if mocks:
        parts.append("Mock " + ", ".join(mocks))
    if learn:
        parts.append(
            "Learn " + ", ".join(learn[:2]) + (f" +{len(learn) - 2}" if len(learn) > 2 else "")
        )
    if reviews:
        parts.append(f"{reviews} review{'s' if reviews > 1 else ''}")
    return "Study: " + "; ".join(parts)


def to_ics(payload: dict[str, Any], *, key: str, stamp: datetime) -> bytes:
    """Serialise a plan payload (planner.formats) as an .ics file.

    key: the plan's stable identity (its uid, or preview_key for previews);
    stamp: DTSTAMP for every event (when the plan last changed).
    """
    tz = zone(payload["timezone"])
    study_at = time.fromisoformat(payload.get("study_time") or "19:00")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Interview prep: {payload.get('team_name') or 'custom'}")
    calendar.add("x-wr-timezone", payload["timezone"])
    interview = datetime.fromisoformat(payload["interview_at"]).astimezone(tz)
    for day in payload["days"]:
        items = [i for i in day["items"] if i["kind"] != "buffer"]
        if not items:
            continue
        minutes = sum(i["minutes"] for i in items)
        start = datetime.combine(date.fromisoformat(day["date"]), study_at, tzinfo=tz)
        if start.date() == interview.date() and start + timedelta(minutes=minutes) > interview:
            # The interview day's light review comes before the interview, not after it.
            start = max(
                datetime.combine(start.date(), time(0, 0), tzinfo=tz),
                interview - INTERVIEW_DAY_GAP - timedelta(minutes=minutes),
            )
        event = Event()
        event.add("uid", f"{key}-{day['date']}@prepgraph")
        event.add("dtstamp", stamp)
        event.add("sequence", payload["revision"])
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=minutes))
        event.add("summary", _summary_line(items))
        event.add("description", _describe(items))
        event.add("categories", ["interview-prep"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _summary_line(items))
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
        calendar.add_component(event)
    event = Event()
    event.add("uid", f"{key}-interview@prepgraph")
    event.add("dtstamp", stamp)
    event.add("sequence", payload["revision"])
    event.add("dtstart", interview)
    event.add("dtend", interview + timedelta(hours=1))
    event.add("summary", f"Interview: {payload.get('team_name') or 'ML interview'}")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
