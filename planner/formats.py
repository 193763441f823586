"""A plan as the public JSON contract, and the human formats built from it.

Stored plans and unsaved previews both go through `payload()`, so the CLI,
the API and the calendar render the very same structure. The contract is
documented in the README; add fields, never rename or remove them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import networkx as nx

from kb import graph as kb_graph
from kb.models import Question, Resource
from planner import core
from planner.models import Plan
from planner.services import (
    NewPlan,
    Resolved,
    day_rows,
    local_interview_at,
    plan_inputs,
    plan_relevance,
    summary_json,
    team_stages,
    zone,
)

RESOURCES_PER_ITEM = 3
TABLE_CUT_LIMIT = 15


def _resources_and_questions(
    slugs: set[str],
) -> tuple[dict[str, list], dict[str, list], dict[str, set[str]]]:
    """Top resources (shortest first), the questions of each concept, and every concept each
    of those questions tests. Read for the whole KB once per revision and process (two
    queries), since every plan answer needs them; each answer gets its own lists."""
    every_resource, every_question, every_test = kb_graph.per_revision(
        "resources and questions", _every_resource_and_question
    )
    resources = {
        slug: [dict(r) for r in every_resource[slug]] for slug in slugs if slug in every_resource
    }
    questions = {
        slug: [dict(q) for q in every_question[slug]] for slug in slugs if slug in every_question
    }
    asked = {q["slug"] for found in questions.values() for q in found}
    tests = {slug: set(every_test[slug]) for slug in asked}
    return resources, questions, tests


def _every_resource_and_question() -> tuple[
    dict[str, list[dict]], dict[str, list[dict]], dict[str, frozenset[str]]
]:
    resources: dict[str, list] = defaultdict(list)
    rows = Resource.concepts.through.objects.order_by(
        "concept__slug", "resource__minutes", "resource__title"
    ).values_list(
        "concept__slug",
        "resource__title",
        "resource__url",
        "resource__kind",
        "resource__minutes",
    )
    for slug, title, url, kind, minutes in rows:
        if len(resources[slug]) < RESOURCES_PER_ITEM:
            resources[slug].append({"title": title, "url": url, "kind": kind, "minutes": minutes})
    questions: dict[str, list] = defaultdict(list)
    tests: dict[str, set[str]] = defaultdict(set)
    links = Question.concepts.through.objects.order_by("concept__slug", "question__slug")
    rows = links.values_list(
        "concept__slug", "question__slug", "question__text", "question__stage__slug"
    )
    for slug, question, text, stage in rows:
        tests[question].add(slug)
        questions[slug].append({"slug": question, "text": text, "stage": stage})
    return (
        dict(resources),
        dict(questions),
        {question: frozenset(found) for question, found in tests.items()},
    )


NO_QUESTION_NOTE = "no interview question fits yet: answer its self-test prompts aloud"


def _days(
    graph: nx.DiGraph,
    day_meta: list[dict],
    items: Iterable[tuple[date, dict]],
    cut: Iterable[str] = (),
    stages: Iterable[str] = (),
    relevance: dict[str, float] | None = None,
    practice: Mapping[str, Sequence[str]] | None = None,
    planned_from: date | None = None,
) -> list[dict[str, Any]]:
    """The day list with titles, resources for learning and questions for practice.

    A practice item asks the questions the planner sized it for (`practice`, the
    summary's: topic -> the questions its study completes; the first
    MAX_PRACTICE_QUESTIONS in the order below). A plan stored before the summary had
    them, or an item dated before `planned_from` (one a replan kept from before, whose
    topic the new summary may plan again later), asks those whose every
    concept is learned by that day or known (a prerequisite of something the plan
    studies: never a cut concept, one still to come, or one the plan does not touch at
    all). Each question once in the plan. First come the questions of the loop stages the
    plan rehearses with mocks, then those of the team's other stages (an
    ML-coding question for a team that codes), and within a stage those about
    what the team's tracks weigh most (`relevance`, summed over the concepts a
    question tests), so the few minutes of practice go to what will be asked.
    """
    by_date: dict[str, list[dict]] = defaultdict(list)
    for day, item in items:
        by_date[day.isoformat()].append(item)
    slugs = {i["concept"] for day_items in by_date.values() for i in day_items if i["concept"]}
    resources, questions, tests = _resources_and_questions(slugs)
    loop = [i["stage"] for day_items in by_date.values() for i in day_items if i["kind"] == "mock"]
    loop += [stage for stage in stages if stage not in loop]
    relevance = relevance or {}

    def first_asked(question: dict) -> tuple[int, float]:
        stage = loop.index(question["stage"]) if question["stage"] in loop else len(loop)
        weight = sum(relevance.get(slug, 0.0) for slug in tests[question["slug"]])
        return stage, -round(weight, 6)

    for found in questions.values():
        found.sort(key=first_asked)
    learned_on = {
        i["concept"]: when
        for when, day_items in sorted(by_date.items())
        for i in day_items
        if i["kind"] == "learn"
    }
    not_learned = set(cut)
    # Studied here by that day: learned to its last session, or refreshed (shaky).
    ready_on = dict(learned_on)
    for when, day_items in sorted(by_date.items()):
        for i in day_items:
            if i["kind"] == "review" and i["note"].startswith("shaky") and i["concept"]:
                ready_on.setdefault(i["concept"], when)
    studied = {slug for slug in ready_on if slug in graph}
    # What a candidate may be asked about without studying it here: what the plan rests on.
    known = kb_graph.known_closure(graph, studied) - studied - not_learned

    def ready(slug: str, day: str) -> bool:
        return slug in known or ("" < ready_on.get(slug, "") <= day)

    asked: set[str] = set()
    since = planned_from.isoformat() if planned_from else ""
    days = []
    for meta in day_meta:
        day_items = by_date.get(meta["date"], [])
        for item in day_items:
            slug = item["concept"]
            node = graph.nodes[slug] if slug and slug in graph else None
            item["title"] = node["title"] if node else (item.get("note") or item["kind"])
            if item["kind"] == "learn" and slug:
                item["resources"] = _resources_for_part(resources.get(slug, []), item)
            if item["kind"] == "practice" and slug:
                planned = (practice or {}).get(slug) if meta["date"] >= since else None
                fitting = [
                    q
                    for q in questions.get(slug, [])
                    if q["slug"] not in asked
                    and (
                        q["slug"] in planned
                        if planned is not None
                        else all(ready(other, meta["date"]) for other in tests[q["slug"]])
                    )
                ][: core.MAX_PRACTICE_QUESTIONS]
                asked |= {q["slug"] for q in fitting}
                item["questions"] = fitting
                if not fitting:
                    item["note"] = NO_QUESTION_NOTE
        days.append({**meta, "items": day_items})
    return days


def _resources_for_part(found: list[dict], item: dict) -> list[dict]:
    """A split concept's resources shared out over its sessions, in reading order: each
    part lists what it reads in its share of the time (a resource that runs across two
    parts is in both), so a 40-minute part 2 does not list three hours again."""
    part, parts = item.get("part"), item.get("parts")
    if not part or not parts or len(found) < 2:
        return found
    total = sum(r["minutes"] for r in found) or 1
    low, high = (part - 1) / parts, part / parts
    mine, start = [], 0
    for resource in found:
        end = start + resource["minutes"]
        if start / total < high and end / total > low:
            mine.append(resource)
        start = end
    return mine


def _item_dict(item: core.Item, item_id: int | None = None) -> dict[str, Any]:
    data = {
        "kind": item.kind,
        "concept": item.concept,
        "minutes": item.minutes,
        "stage": item.stage,
        "part": item.part,
        "parts": item.parts,
        "note": item.note,
        "status": item.status,
    }
    if item_id is not None:
        data = {"id": item_id, **data}
    return data


def _cut_titles(graph: nx.DiGraph, summary: dict[str, Any]) -> dict[str, Any]:
    summary = dict(summary)
    summary["cut"] = [
        {**cut, "title": graph.nodes[cut["concept"]]["title"] if cut["concept"] in graph else ""}
        for cut in summary.get("cut", [])
    ]
    return summary


def preview_payload(resolved: Resolved, schedule: core.Schedule) -> dict[str, Any]:
    """The contract for an unsaved schedule (CLI preview)."""
    inputs = resolved.inputs
    graph = kb_graph.current_graph()
    return {
        "id": None,
        "title": None,
        "team": resolved.team.slug if resolved.team else None,
        "team_name": resolved.team.name if resolved.team else None,
        "role": resolved.role,
        "timezone": inputs.timezone,
        "interview": inputs.interview.isoformat(),
        "interview_at": resolved.interview_at.isoformat(),
        "study_time": inputs.study_time.isoformat("minutes"),
        "start": schedule.start.isoformat(),
        "revision": 1,
        "archived_at": None,
        "days": _days(
            graph,
            day_rows(schedule),
            ((d.date, _item_dict(i)) for d, i in schedule.items()),
            cut=(c.concept for c in schedule.summary.cut),
            stages=team_stages(resolved.team),
            relevance=resolved.request.relevance,
            practice=schedule.summary.practice,
        ),
        "summary": _cut_titles(graph, summary_json(schedule) | {"assumed": resolved.assumed}),
    }


def plan_payload(plan: Plan) -> dict[str, Any]:
    """The contract for a stored plan, with item ids and statuses."""
    items = plan.items.order_by("date", "order").values(
        "id", "date", "kind", "concept_slug", "stage", "minutes", "part", "parts", "note", "status"
    )
    rows = (
        (
            row["date"],
            {
                "id": row["id"],
                "kind": row["kind"],
                "concept": row["concept_slug"] or None,
                "minutes": row["minutes"],
                "stage": row["stage"] or None,
                "part": row["part"],
                "parts": row["parts"],
                "note": row["note"],
                "status": row["status"],
            },
        )
        for row in items
    )
    return _stored_payload(plan, rows)


def new_plan_payload(new: NewPlan) -> dict[str, Any]:
    """plan_payload of a plan just stored, from what was written rather than read back:
    the same answer (tests hold them equal), a query and a hundred rows fewer."""
    rows = (
        (day.date, _item_dict(item, item_id))
        for (day, item), item_id in zip(new.schedule.items(), new.item_ids, strict=True)
    )
    return _stored_payload(new.plan, rows)


def _stored_payload(plan: Plan, rows: Iterable[tuple[date, dict[str, Any]]]) -> dict[str, Any]:
    graph = kb_graph.current_graph()
    summary = {k: v for k, v in plan.summary.items() if k != "days"}
    inputs = plan_inputs(plan)
    return {
        "id": plan.pk,
        "title": plan.title,
        "team": plan.team.slug if plan.team else None,
        "team_name": plan.team.name if plan.team else None,
        "role": inputs.role,
        "timezone": plan.timezone,
        "interview": inputs.interview.isoformat(),
        "interview_at": local_interview_at(plan).isoformat(),
        "study_time": inputs.study_time.isoformat("minutes"),
        "start": plan.start_date.isoformat(),
        "revision": plan.revision,
        "archived_at": (
            plan.archived_at.astimezone(zone(plan.timezone)).isoformat()
            if plan.archived_at
            else None
        ),
        "days": _days(
            graph,
            plan.summary.get("days", []),
            rows,
            cut=(c["concept"] for c in plan.summary.get("cut", [])),
            stages=team_stages(plan.team),
            relevance=plan_relevance(plan),
            practice=plan.summary.get("practice"),
            planned_from=inputs.start,
        ),
        "summary": _cut_titles(graph, summary),
    }


# --- human formats ------------------------------------------------------------------------


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if hours else f"{rest} min"


def _label(item: dict[str, Any]) -> str:
    if item["kind"] == "mock":
        return f"Mock interview: {item['title']}"
    if item["kind"] == "buffer":
        return "Buffer (catch-up or rest)"
    label = item["title"]
    # The rest of a concept begun before a replan: "part 2/2, 90 of 240 min done".
    note = item.get("note", "")
    continued = item["kind"] == "learn" and note.startswith("continued: ")
    done = note.removeprefix("continued: ") if continued else ""
    if item.get("parts"):
        label += f" (part {item['part']}/{item['parts']}" + (f", {done})" if done else ")")
    elif done:
        label += f" ({note})"
    if item["kind"] == "review" and item.get("note", "").startswith("shaky"):
        label += " (shaky: refresh)"
    if item["kind"] == "practice" and note == NO_QUESTION_NOTE:
        label += f" ({NO_QUESTION_NOTE})"
    return label


def tier_line(summary: dict[str, Any]) -> str:
    """'core 6/8 topics, important 4/11, useful 0/30 (core: relevance >= 0.8, ...)'."""
    tiers = [t for t in summary.get("tiers", []) if t["targets"]]
    if not tiers:
        return ""
    counts = ", ".join(f"{t['name']} {t['learned']}/{t['targets']}" for t in tiers)
    bands = ", ".join(
        f"{t['name']} >= {t['threshold']:g}" if t["threshold"] else f"{t['name']} below"
        for t in summary["tiers"]
    )
    return f"Topics learned: {counts} (relevance: {bands})"


def recall_line(summary: dict[str, Any]) -> str:
    """'Recall forecast for the interview morning, if you do every review and rate it Good:
    94% of the 31 topics you study, refresh or have rated (62% without the reviews); core
    95% of 20, important 91% of 11; 2 below the 90% target'."""
    recall = summary.get("recall") or {}
    groups = [g for g in recall.get("groups", []) if g["concepts"]]
    overall = next((g for g in groups if g["kind"] == "overall"), None)
    if overall is None:
        return ""
    # With each tier its count: "important 100%" alone read as the tier's coverage when the
    # one important topic studied was a refresher and the other 29 were cut.
    tiers = ", ".join(
        f"{g['name']} {g['with_plan']:.0%} of {g['concepts']}"
        for g in groups
        if g["kind"] == "tier"
    )
    line = (
        f"Recall forecast for the interview morning (the memory model's chance you recall a "
        f"topic), if you do every review this plan holds and rate it Good: "
        f"{overall['with_plan']:.0%} of the {overall['concepts']} topics you study, refresh or "
        f"have rated ({overall['without_reviews']:.0%} without the reviews); by tier, over "
        f"those topics: {tiers}"
    )
    if overall["below_target"]:
        line += f"; {overall['below_target']} below the {recall['target_retention']:.0%} target"
    return line


def track_recall_lines(summary: dict[str, Any]) -> list[str]:
    """One line per track: its forecast recall with the plan and without its reviews."""
    groups = (summary.get("recall") or {}).get("groups", [])
    return [
        f"  {g.get('title', g['name'])}: {g['with_plan']:.0%} "
        f"({g['without_reviews']:.0%} without reviews, {g['concepts']} topics)"
        for g in groups
        if g["kind"] == "track" and g["concepts"]
    ]


def _headline(payload: dict[str, Any]) -> list[str]:
    s = payload["summary"]
    who = payload["team"] or "custom targets"
    lines = [
        f"Plan for {who} ({payload['role']}): interview {payload['interview_at']} "
        f"({payload['timezone']})",
        f"From {payload['start']}: {_duration(s['available_minutes'])} available, "
        f"{_duration(s['needed_minutes'])} needed, coverage {s['coverage']:.0%}",
    ]
    if tier_line(s):
        lines.append(tier_line(s))
    if recall_line(s):
        lines.append(recall_line(s))
    if s.get("assumed"):
        lines.append(s["assumed"])
    return lines


def to_table(payload: dict[str, Any], *, ids: bool = False) -> str:
    """The plan as a plain-text agenda; `ids` puts each item's id (`#301`) after its box,
    for a saved plan followed from the command line (show_plan, then mark)."""
    lines = _headline(payload)
    width = id_column(payload["days"]) if ids else 0
    for day in payload["days"]:
        lines += table_day_lines(day, id_width=width)
    lines += _closing(payload, cut_limit=TABLE_CUT_LIMIT)
    return "\n".join(lines) + "\n"


def id_column(days: list[dict[str, Any]]) -> int:
    """The column the longest item id (`#301 `) takes in table_day_lines."""
    return max((len(str(item["id"])) for day in days for item in day["items"]), default=0) + 2


def table_day_lines(day: dict[str, Any], *, id_width: int = 0) -> list[str]:
    """One day of to_table: a blank line, its heading, its items ([x] done, [-] skipped);
    with an `id_width` (id_column()), each item's id after its box."""
    when = date.fromisoformat(day["date"]).strftime("%a %d %b")
    if day["blackout"]:
        return [f"\n{when}  (blackout)"]
    if day["interview_day"]:
        lines = [f"\n{when}  INTERVIEW DAY"]
    else:
        lines = [f"\n{when}  ({_duration(day['available_minutes'])} available)"]
    for item in day["items"]:
        lines += table_item_lines(item, id_width=id_width)
    return lines


def table_item_lines(item: dict[str, Any], *, id_width: int = 0) -> list[str]:
    """One item of to_table, and its questions."""
    mark = {"done": "x", "skipped": "-"}.get(item.get("status"), " ")
    number = f"#{item['id']}".ljust(id_width) if id_width else ""
    lines = [
        f"  [{mark}] {number}{item['kind']:<8} {_label(item):<56} {_duration(item['minutes']):>6}"
    ]
    return lines + [f"{'':{15 + id_width}}Q: {q['text']}" for q in item.get("questions", [])]


def _closing(payload: dict[str, Any], cut_limit: int | None = None) -> list[str]:
    """Chain, cut list (the most valuable cuts first, up to `cut_limit`) and warnings."""
    s = payload["summary"]
    lines = []
    if s["longest_chain"]:
        lines.append(f"\nLongest prerequisite chain ({len(s['longest_chain'])}): ")
        lines[-1] += " -> ".join(s["longest_chain"])
    if s["cut"]:
        targets = [c for c in s["cut"] if c.get("tier")]
        others = [c for c in s["cut"] if not c.get("tier")]
        lines.append(f"\nCut topics ({len(targets)}), by tier:")
        shown = targets[:cut_limit] if cut_limit else targets
        lines += [f"  - {c['reason']}" for c in shown]
        if len(shown) < len(targets):
            lines.append(f"  ... and {len(targets) - len(shown)} more (--format json lists all)")
        unlisted = s.get("unlisted_cuts") or {"count": 0, "minutes": 0}
        if others or unlisted["count"]:
            count = len(others) + unlisted["count"]
            minutes = sum(c["minutes"] for c in others) + unlisted["minutes"]
            where = (
                f"--format json lists the {len(others)} nearest the cut topics"
                if unlisted["count"]
                else "--format json lists them"
            )
            lines.append(
                f"  + {count} prerequisite(s) of cut topics, {_duration(minutes)} ({where})"
            )
    tracks = track_recall_lines(s)
    if tracks:
        lines.append("\nRecall forecast for the interview, by track (keeping to the plan):")
        lines += tracks
    if s["warnings"]:
        lines.append("\nWarnings:")
        lines += [f"  ! {w}" for w in s["warnings"]]
    return lines


def to_markdown(payload: dict[str, Any], *, ids: bool = False) -> str:
    """The plan as Markdown; `ids` adds each item's id (and says which were skipped)."""
    head = _headline(payload)
    lines = [f"# {head[0]}", "", *head[1:]]
    for day in payload["days"]:
        lines += markdown_day_lines(day, ids=ids)
    lines += _closing(payload)
    return "\n".join(lines) + "\n"


def markdown_day_lines(day: dict[str, Any], *, ids: bool = False) -> list[str]:
    """One day of to_markdown: a blank line, its heading, its items as a task list."""
    when = date.fromisoformat(day["date"]).strftime("%A %d %B %Y")
    if day["blackout"]:
        return ["", f"## {when}: blackout"]
    suffix = " (interview day)" if day["interview_day"] else ""
    lines = ["", f"## {when}{suffix}", ""]
    for item in day["items"]:
        box = "x" if item.get("status") == "done" else " "
        number = f"`#{item['id']}` " if ids else ""
        skipped = " (skipped)" if ids and item.get("status") == "skipped" else ""
        lines.append(
            f"- [{box}] {number}**{item['kind']}** {_label(item)}: "
            f"{_duration(item['minutes'])}{skipped}"
        )
        for resource in item.get("resources", []):
            lines.append(f"  - [{resource['title']}]({resource['url']}) ({resource['kind']})")
        for question in item.get("questions", []):
            lines.append(f"  - Q: {question['text']}")
    return lines
