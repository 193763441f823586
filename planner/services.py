"""Plans: create, replan, mark progress. Every interface (CLI, API, web) calls these.

The flow: inputs -> resolve against the KB (team, tracks, questions, stages)
-> planner.core.build_schedule on the cached graph -> Plan + PlanItems in one
transaction with bulk writes. Bad input raises a domain error naming the
field before anything is written; a plan that does not fit is still a plan.

A plan's inputs are read and written only through `plan_inputs` and
`_store_inputs`: what a plan was made with (the resolved role included) is
exactly what a replan rebuilds it from. Writers of one plan (replan,
mark_item) lock its row first, so a mark racing a replan either lands on the
new revision or is refused with PlanChanged, never lost.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import networkx as nx
from django.db import transaction
from django.utils import timezone as dj_timezone

from kb import graph as kb_graph
from kb.dag import upstream_closure
from kb.errors import ApplicationError
from kb.models import Concept, InterviewStage, Question, Role, TeamProfile, Track
from kb.search import unknown_message
from kb.selectors import relevance_and_members, relevance_from_tracks
from kb.vocabulary import EDGE_KINDS
from planner import background, core, memory, reviews
from planner.core import PlanInputError
from planner.domain import (
    MIN_BUFFER_MINUTES,
    PRACTICE_MINUTES_PER_QUESTION,
    REFRESHER_NOTE,
    TARGET_RETENTION,
)
from planner.models import FsrsParameters, ItemKind, ItemStatus, MemoryCard, Plan, PlanItem
from prepgraph.rows import insert_rows, insert_rows_returning

# Stages a mock interview rehearses (the recruiter screen and the hiring manager chat are
# conversations, not rounds to practise under time).
MOCKABLE_STAGES = (
    "coding-algorithms",
    "ml-coding",
    "ml-concepts",
    "ml-system-design",
    "research-talk",
    "behavioral",
)
RESEARCH_ONLY_STAGE = "research-talk"
GENERAL_STAGE = "ml-concepts"  # rehearsed without a team when no question points elsewhere
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = (2.0, 2.0, 2.0, 2.0, 2.0, 4.0, 4.0)
MAX_PLAN_DAYS = 366  # a plan is a day list: bound it, or a year-9999 interview is millions of days


class PlanChanged(ApplicationError):
    """The plan was replanned (or deleted) since the client read it; it should reload.

    A replan deletes and recreates the pending items from today on, so an
    item id the client holds may be gone, or (with `revision`) the client
    acted on a schedule that is no longer the plan's.
    """

    code = "plan_changed"

    def __init__(self, plan_id: int, item_id: int, *, revision: int | None, why: str) -> None:
        super().__init__(
            f"plan {plan_id} changed since you read it ({why}); reload it and try again",
            details={"plan": plan_id, "item": item_id, "revision": revision},
        )


class PlanItemNotFound(ApplicationError):
    """An item id the plan never had (as far as can be told: no tombstones are kept)."""

    code = "not_found"

    def __init__(self, plan_id: int, item_id: int) -> None:
        super().__init__(f"plan {plan_id} has no item {item_id}")


@dataclass(frozen=True)
class PlanInputs:
    """What a person asks for, as given (slugs, local dates); JSON-serialisable.

    A stored plan's inputs carry the resolved `role` (the team's when none was
    given), so a replan keeps the role even if the team's changes.
    """

    interview: date
    timezone: str = "UTC"
    interview_time: time = time(9, 0)
    team: str | None = None
    tracks: dict[str, float] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    start: date | None = None
    hours_per_weekday: tuple[float, ...] = DEFAULT_HOURS
    blackout: tuple[date, ...] = ()
    known: tuple[str, ...] = ()
    shaky: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()  # studied to the end in this plan: known on a replan
    refreshed: tuple[str, ...] = ()  # shaky, refreshed in this plan: not refreshed again
    background: str | None = None  # a kb Background slug: its concepts and areas add to these
    known_areas: tuple[str, ...] = ()
    shaky_areas: tuple[str, ...] = ()
    role: str | None = None
    include_recommended: bool = False
    min_session_minutes: int = 30
    study_time: time = time(19, 0)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, date | time):
                data[key] = value.isoformat()
            elif isinstance(value, tuple):
                data[key] = [v.isoformat() if isinstance(v, date) else v for v in value]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanInputs:
        """Inverse of to_json. Keys it does not know are dropped, missing ones get defaults:
        a row written by a newer or older release still loads."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in names}
        for key in ("interview", "start"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        for key in ("interview_time", "study_time"):
            if values.get(key):
                values[key] = time.fromisoformat(values[key])
        values["blackout"] = tuple(date.fromisoformat(d) for d in values.get("blackout", []))
        for key in (
            "targets",
            "known",
            "shaky",
            "learned",
            "refreshed",
            "known_areas",
            "shaky_areas",
            "hours_per_weekday",
        ):
            if key in values:
                values[key] = tuple(values[key])
        if "tracks" in values:
            values["tracks"] = dict(values["tracks"])
        return cls(**values)


def plan_inputs(plan: Plan) -> PlanInputs:
    """What `plan` was made (or last replanned) with: the one reader of Plan.inputs.

    Rows stored before the role lived in PlanInputs have the same "role" key,
    so they load the same way.
    """
    return PlanInputs.from_json(plan.inputs)


def _store_inputs(plan: Plan, inputs: PlanInputs) -> None:
    """The one writer of Plan.inputs (not saved here); `inputs.role` is the resolved role."""
    plan.inputs = inputs.to_json()


def parse_hours(text: str) -> tuple[float, ...]:
    """Hours per weekday from 'weekdays=2,weekends=4', 'mon=1,sat=3', '2,2,2,2,2,4,4' or '2'.

    Days a keyed form leaves out get 0.
    """
    text = (text or "").strip().lower()
    if not text:
        raise PlanInputError("hours", "give hours per day, e.g. weekdays=2,weekends=4")
    parts = [part.strip() for part in text.split(",") if part.strip()]

    def number(raw: str, where: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise PlanInputError("hours", f"{where}: {raw!r} is not a number of hours") from None
        if not 0 <= value <= 24:
            raise PlanInputError("hours", f"{where}: {value:g} is not between 0 and 24")
        return value

    if all("=" not in part for part in parts):
        if len(parts) == 1:
            return (number(parts[0], "every day"),) * 7
        if len(parts) == 7:
            return tuple(number(p, WEEKDAYS[i]) for i, p in enumerate(parts))
        raise PlanInputError("hours", f"give 1 or 7 numbers (Monday first), got {len(parts)}")
    hours = [0.0] * 7
    for part in parts:
        key, sep, raw = part.partition("=")
        key = key.strip()
        if not sep:
            raise PlanInputError("hours", f"{part!r}: mix of keyed and plain values")
        if key == "weekdays":
            days = range(5)
        elif key == "weekends":
            days = range(5, 7)
        elif key in ("all", "daily"):
            days = range(7)
        elif key[:3] in WEEKDAYS and re.fullmatch(r"[a-z]+", key):
            days = [WEEKDAYS.index(key[:3])]
        else:
            raise PlanInputError(
                "hours", f"unknown day {key!r} (use weekdays, weekends, all or mon..sun)"
            )
        value = number(raw.strip(), key)
        for day in days:
            hours[day] = value
    return tuple(hours)


@functools.cache
def iana_zones() -> frozenset[str]:
    """The IANA zone names tzdata ships, without the host-dependent `localtime`, `Factory`..."""
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory", "posixrules"}


def zone(name: str) -> ZoneInfo:
    """The zone `name`, which must be an IANA name: the same on every host that reads it."""
    if not isinstance(name, str) or name not in iana_zones():
        raise PlanInputError(
            "timezone", f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # listed but unreadable: a broken tzdata
        raise PlanInputError("timezone", f"time zone {name!r} cannot be read here") from None


def date_problems(
    today: date, interview: date | None, start: date | None, blackout: Iterable[date] = ()
) -> dict[str, str]:
    """Field -> what is wrong with it: the bounds that keep a plan's day list finite,
    checked where the person's input arrives (API, wizard); resolve() checks the rest."""
    latest = today + timedelta(days=MAX_PLAN_DAYS)
    problems: dict[str, str] = {}
    if interview is not None and interview > latest:
        problems["interview"] = f"At most {MAX_PLAN_DAYS} days ahead (until {latest.isoformat()})."
    # A past interview is the interview's fault alone (resolve() says so): the start is
    # measured against it only when the interview itself is fine.
    upper = interview if interview is not None and today <= interview else latest
    if start is not None and not today <= start <= upper:
        problems["start"] = "Must be between today and the interview date."
    for day in blackout:
        if not today - timedelta(days=MAX_PLAN_DAYS) <= day <= latest:
            problems["blackout"] = f"{day.isoformat()} is too far from today."
            break
    return problems


def local_today(timezone_name: str) -> date:
    return dj_timezone.now().astimezone(zone(timezone_name)).date()


def local_interview_at(plan: Plan) -> datetime:
    """The plan's interview in its own time zone: the database hands it back in UTC, whose
    date is another one for an interview near midnight."""
    return plan.interview_at.astimezone(zone(plan.timezone))


@dataclass
class Resolved:
    """PlanInputs resolved against the KB: what core needs and what the plan row stores.

    `inputs.role` is the resolved role (the same as `role`), so storing
    `inputs` stores what the plan was made with.
    """

    inputs: PlanInputs
    request: core.PlanRequest
    team: TeamProfile | None
    role: str
    interview_at: datetime
    assumed: str | None = None  # planner.background's account of what was taken as known


def team_track_weights(team: TeamProfile) -> dict[str, float]:
    """The team's tracks and weights (one query per KB revision and process)."""
    weights = kb_graph.per_revision(
        ("team tracks", team.pk),
        lambda: dict(team.track_weights.values_list("track__slug", "weight")),
    )
    return dict(weights)


def _track_weights(inputs: PlanInputs, team: TeamProfile | None) -> dict[str, float]:
    """The team's tracks and the ones asked for, each at the higher of its two weights."""
    track_weights = dict(inputs.tracks)
    if team is not None:
        for slug, weight in team_track_weights(team).items():
            track_weights[slug] = max(weight, track_weights.get(slug, 0.0))
    return track_weights


def _relevance(
    inputs: PlanInputs, team: TeamProfile | None
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Concept -> value: the best of (track weight x concept weight), explicit targets 1.0;
    and each track's concepts."""
    track_weights = _track_weights(inputs, team)
    unknown = sorted(set(inputs.tracks) - set(track_titles())) if inputs.tracks else []
    if unknown:
        slugs = Track.objects.values_list("slug", flat=True)
        raise PlanInputError("tracks", unknown_message("track", unknown, slugs))
    for slug, weight in inputs.tracks.items():
        if not 0 < weight <= 1:
            raise PlanInputError("tracks", f"weight of {slug!r} must be in (0, 1], got {weight}")
    relevance, members = relevance_and_members(track_weights)
    for slug in inputs.targets:
        relevance[slug] = 1.0
    return relevance, members


def plan_relevance(plan: Plan) -> dict[str, float]:
    """What a stored plan's team and tracks weigh now (two queries; a track since deleted
    simply weighs nothing, where a new plan would be refused)."""
    inputs = plan_inputs(plan)
    relevance = relevance_from_tracks(_track_weights(inputs, plan.team))
    return relevance | dict.fromkeys(inputs.targets, 1.0)


def track_titles() -> dict[str, str]:
    """Every track's slug -> title: one query per KB revision. Read only."""
    return kb_graph.per_revision(
        "track titles", lambda: dict(Track.objects.values_list("slug", "title"))
    )


def stored_team(slug: str) -> TeamProfile | None:
    """The team `slug`, None if there is none: one query per KB revision for all teams (a
    few dozen rows), so unknown slugs cost nothing to remember.

    The instance is shared by every plan of the revision: read it, never change it.
    """
    teams = kb_graph.per_revision(
        "teams by slug", lambda: {team.slug: team for team in TeamProfile.objects.all()}
    )
    return teams.get(slug)


def team_must_have(team: TeamProfile | None) -> tuple[str, ...]:
    """The team's must-have topics (none without a team): one query per KB revision."""
    if team is None:
        return ()
    return kb_graph.per_revision(
        ("team must-have", team.pk),
        lambda: tuple(team.must_have.order_by("slug").values_list("slug", flat=True)),
    )


def team_stages(team: TeamProfile | None) -> list[str]:
    """The team's loop stages in interview order (none without a team)."""
    if team is None:
        return []
    return [slug for slug, _, _ in _team_loop(team)]


def round_essentials(
    team: TeamProfile | None, role: str, relevance: Mapping[str, float]
) -> dict[str, tuple[str, str]]:
    """The groundwork of the team's loop rounds (InterviewStage.essentials), concept ->
    (the round's stage slug, its title), in the loop's order: those the team's tracks
    weigh, of the rounds held for `role` (a job talk is for research scientists). None
    without a team: no loop is known then."""
    if team is None:
        return {}
    by_stage = kb_graph.per_revision("stage essentials", _stage_essentials)
    found: dict[str, tuple[str, str]] = {}
    for slug, title, _ in _team_loop(team):
        if not _round_held(slug, role):
            continue
        for concept in by_stage.get(slug, ()):
            if concept in relevance:
                found.setdefault(concept, (slug, title))
    return found


def _stage_essentials() -> dict[str, tuple[str, ...]]:
    rows = InterviewStage.essentials.through.objects.order_by(
        "interviewstage__slug", "concept__slug"
    ).values_list("interviewstage__slug", "concept__slug")  # a set: slug order, as the API
    found: dict[str, list[str]] = {}
    for stage, concept in rows:
        found.setdefault(stage, []).append(concept)
    return {stage: tuple(concepts) for stage, concepts in found.items()}


def _round_held(stage: str, role: str) -> bool:
    return stage != RESEARCH_ONLY_STAGE or role == Role.RESEARCH_SCIENTIST


def _team_loop(team: TeamProfile) -> tuple[tuple[str, str, int], ...]:
    """The team's loop in interview order: (stage slug, title, minutes), one query per KB
    revision and process."""
    return kb_graph.per_revision(
        ("team loop", team.pk),
        lambda: tuple(
            (step.stage.slug, step.stage.title, step.minutes)
            for step in team.loop.select_related("stage").order_by("order")
        ),
    )


def _mocks(
    team: TeamProfile | None, role: str, topics: Iterable[str]
) -> tuple[core.MockStage, ...]:
    """The team's loop; without a team, the stages whose questions ask about the topics
    (a plan for the Transformer rehearses the concepts round, not system design)."""
    if team is not None:
        steps = list(_team_loop(team))
    else:
        asked = set(
            Question.objects.filter(
                concepts__slug__in=list(topics), stage__slug__in=MOCKABLE_STAGES
            )
            .values_list("stage__slug", flat=True)
            .distinct()
        )
        stages = InterviewStage.objects.filter(slug__in=asked or {GENERAL_STAGE}).order_by("order")
        steps = [(s.slug, s.title, s.typical_minutes) for s in stages]
    return tuple(
        core.MockStage(slug, title, minutes)
        for slug, title, minutes in steps
        if slug in MOCKABLE_STAGES and _round_held(slug, role)
    )


def interview_questions() -> Mapping[str, frozenset[str]]:
    """Interview question -> the concepts it tests (one query per KB revision and process;
    read-only: every plan shares it)."""

    def read() -> Mapping[str, frozenset[str]]:
        tested: dict[str, set[str]] = {}
        links = Question.concepts.through.objects.values_list("question__slug", "concept__slug")
        for question, concept in links:
            tested.setdefault(question, set()).add(concept)
        return {question: frozenset(concepts) for question, concepts in tested.items()}

    return kb_graph.per_revision("interview questions", read)


def resolve(
    inputs: PlanInputs,
    *,
    today: date | None = None,
    already_used: dict[date, int] | None = None,
    skip_mocks: frozenset[str] = frozenset(),
    progress: StudyProgress | None = None,
    owner=None,
    studied_on: dict[str, date] | None = None,
) -> Resolved:
    """Check `inputs` against the KB and turn them into a core.PlanRequest.

    With an `owner`, their memory cards of the plan's concepts and their fitted
    FSRS parameters go into the request, so reviews fall where cards are due.
    `studied_on` (a replan) gives the concepts the plan taught or refreshed and the
    day each was last studied; one without a card of its own is taken as rated Good
    that day, as the plan took it when it placed its reviews.
    """
    tz = zone(inputs.timezone)
    today = today or local_today(inputs.timezone)
    start = inputs.start or today
    if inputs.interview < today:
        raise PlanInputError("interview", f"{inputs.interview.isoformat()} is in the past")
    if inputs.interview > today + timedelta(days=MAX_PLAN_DAYS):
        raise PlanInputError(
            "interview", f"{inputs.interview.isoformat()} is more than {MAX_PLAN_DAYS} days away"
        )
    if start < today - timedelta(days=MAX_PLAN_DAYS):
        raise PlanInputError("start", f"{start.isoformat()} is more than a year ago")
    if len(inputs.hours_per_weekday) != 7:
        raise PlanInputError(
            "hours", f"needs 7 values (Monday to Sunday), got {len(inputs.hours_per_weekday)}"
        )
    team = None
    if inputs.team:
        team = stored_team(inputs.team)
        if team is None:
            slugs = TeamProfile.objects.values_list("slug", flat=True)
            raise PlanInputError("team", unknown_message("team", [inputs.team], slugs))
    if team is None and not inputs.tracks and not inputs.targets:
        raise PlanInputError("team", "give a team, tracks or target concepts to plan for")
    role = inputs.role or (team.role if team else Role.ML_ENGINEER.value)
    if role not in Role.values:
        raise PlanInputError("role", f"{role!r} is not one of {', '.join(Role.values)}")
    relevance, members = _relevance(inputs, team)
    if not relevance:
        raise PlanInputError("team", "the team's tracks weight no concept; nothing to plan")
    assumed = background.for_inputs(inputs, relevance)
    must = frozenset(slug for slug in team_must_have(team) if slug in relevance)
    # A must-have the candidate is rusty on is studied in full, not only refreshed: every
    # loop of the team asks about it in depth.
    rusty_must = sorted(must & assumed.shaky)
    statement = assumed.statement
    if rusty_must and statement:
        graph = kb_graph.current_graph()
        titles = ", ".join(graph.nodes[s]["title"] for s in rusty_must if s in graph)
        statement += f" Studied in full all the same, as every loop asks about them: {titles}."
    interview_at = datetime.combine(inputs.interview, inputs.interview_time, tzinfo=tz)
    cards, parameters = _memory_of(owner, relevance)
    for slug, day in (studied_on or {}).items():  # a replan: what the plan taught, unrated
        if slug not in cards:
            moment = datetime.combine(day, inputs.study_time, tzinfo=tz)
            cards[slug] = memory.review(None, "good", moment)[0]
    request = core.PlanRequest(
        start=start,
        interview=inputs.interview,
        minutes_by_weekday=tuple(round(h * 60) for h in inputs.hours_per_weekday),
        relevance=relevance,
        known=assumed.known,
        shaky=assumed.shaky,
        blackout=frozenset(inputs.blackout),
        mocks=tuple(m for m in _mocks(team, role, relevance) if m.stage not in skip_mocks),
        questions=interview_questions(),
        include_recommended=inputs.include_recommended,
        min_session_minutes=inputs.min_session_minutes,
        already_used=already_used or {},
        progress=progress.minutes if progress else {},
        progress_sessions=progress.sessions if progress else {},
        memory=cards,
        fsrs_parameters=parameters,
        tracks={track: tuple(found) for track, found in members.items() if found},
        study_time=inputs.study_time,
        interview_at=interview_at,
        must=must,
        essentials=round_essentials(team, role, relevance),
    )
    resolved_inputs = dataclasses.replace(inputs, role=role)
    return Resolved(resolved_inputs, request, team, role, interview_at, statement)


def _memory_of(
    owner, relevance: dict[str, float]
) -> tuple[dict[str, dict[str, Any]], tuple[float, ...] | None]:
    """The owner's rated cards of the plan's topics and their prerequisites, and their
    fitted FSRS parameters (None: the defaults). Two queries, none without an owner."""
    if owner is None or not getattr(owner, "is_authenticated", False):
        return {}, None
    rated = list(
        MemoryCard.objects.filter(user=owner).exclude(state={}).values_list("concept_slug", "state")
    )
    cards: dict[str, dict[str, Any]] = {}
    if rated:  # the walk only to pick them: a new user has none
        graph = kb_graph.current_graph()
        slugs = upstream_closure(graph, relevance, kinds=EDGE_KINDS)
        cards = {slug: state for slug, state in rated if slug in slugs}
    fitted = FsrsParameters.objects.filter(user=owner).values_list("parameters", flat=True).first()
    return cards, tuple(fitted) if fitted else None


def preview_plan(
    inputs: PlanInputs, *, today: date | None = None, owner=None
) -> tuple[Resolved, core.Schedule]:
    """Build a schedule without storing it (the CLI's default)."""
    resolved = resolve(inputs, today=today, owner=owner)
    return resolved, core.build_schedule(kb_graph.current_graph(), resolved.request)


def _title(resolved: Resolved) -> str:
    target = resolved.team.name if resolved.team else ", ".join(resolved.inputs.targets[:3])
    target = target or ", ".join(resolved.inputs.tracks)
    suffix = f" interview on {resolved.inputs.interview.isoformat()}"
    room = Plan._meta.get_field("title").max_length - len(suffix)
    if len(target) > room:
        target = target[: room - 1] + "…"
    return target + suffix


# The columns a schedule item fills; status and completed_at start at their defaults.
ITEM_FIELDS = (
    "plan_id",
    "date",
    "order",
    "kind",
    "concept_id",
    "concept_slug",
    "stage",
    "minutes",
    "part",
    "parts",
    "note",
)


def _write_items(plan: Plan, schedule: core.Schedule, first_order: dict[date, int]) -> None:
    """Write every item of `schedule` for `plan`, after `first_order`'s per day (a replan
    keeps the day's done items ahead of the new ones)."""
    insert_rows(PlanItem, ITEM_FIELDS, _item_rows(plan, schedule, first_order))


def _write_new_items(plan: Plan, schedule: core.Schedule) -> list[int]:
    """_write_items for a new plan, and the ids its items got, in `schedule.items()` order.

    Matched by (date, order), unique per plan: the database returns the new rows in an
    order it does not promise, and a wrong id would mark the wrong item done."""
    written = insert_rows_returning(
        PlanItem, ITEM_FIELDS, _item_rows(plan, schedule, {}), returning=("id", "date", "order")
    )
    ids = {(when, order): pk for pk, when, order in written}
    return [ids[day.date, order] for day in schedule.days for order in range(len(day.items))]


def _item_rows(
    plan: Plan, schedule: core.Schedule, first_order: dict[date, int]
) -> Iterable[tuple]:
    concept_ids = concept_ids_by_slug()
    return (
        _item_values(plan, day.date, first_order.get(day.date, 0) + offset, item, concept_ids)
        for day in schedule.days
        for offset, item in enumerate(day.items)
    )


def concept_ids_by_slug() -> dict[str, int]:
    """Every concept's slug -> id: one query per KB revision (a concept renamed or deleted
    is a new revision). Read only."""
    return kb_graph.per_revision(
        "concept ids", lambda: dict(Concept.objects.values_list("slug", "id"))
    )


def _item_values(
    plan: Plan, when: date, order: int, item: core.Item, concept_ids: dict[str, int]
) -> tuple:
    """ITEM_FIELDS of one schedule item (concept ids by slug, looked up in bulk by the
    caller)."""
    return (
        plan.pk,
        when,
        order,
        item.kind,
        concept_ids.get(item.concept) if item.concept else None,
        item.concept or "",
        item.stage or "",
        item.minutes,
        item.part,
        item.parts,
        item.note,
    )


def day_rows(schedule: core.Schedule) -> list[dict[str, Any]]:
    return [
        {
            "date": day.date.isoformat(),
            "available_minutes": day.available_minutes,
            "blackout": day.blackout,
            "interview_day": day.interview_day,
        }
        for day in schedule.days
    ]


def summary_json(schedule: core.Schedule) -> dict[str, Any]:
    summary = schedule.summary
    return {
        "needed_minutes": summary.needed_minutes,
        "available_minutes": summary.available_minutes,
        "scheduled_minutes": summary.scheduled_minutes,
        "coverage": summary.coverage,
        "learned": summary.learned,
        "cut": [
            {
                "concept": c.concept,
                "reason": c.reason,
                "value": c.value,
                "minutes": c.minutes,
                "tier": c.tier,
                "left_minutes": c.left_minutes,
                "targets": list(c.targets),
                "more_than": c.more_than,
            }
            for c in summary.cut
        ],
        "unlisted_cuts": {"count": summary.unlisted_cuts, "minutes": summary.unlisted_cut_minutes},
        "longest_chain": summary.longest_chain,
        "warnings": summary.warnings,
        "tiers": [
            {
                "name": t.name,
                "threshold": t.threshold,
                "targets": t.targets,
                "learned": t.learned,
                "needed_minutes": t.needed_minutes,
                "value": t.value,
                "learned_value": t.learned_value,
            }
            for t in summary.tiers
        ],
        "toward": summary.toward,
        "exact": summary.exact,
        "learning_budget_minutes": summary.learning_budget,
        "recall": recall_json(summary),
        "practice": summary.practice,
    }


def recall_json(summary: core.Summary) -> dict[str, Any]:
    """Forecast recall at the interview: per tier, per track, overall, and per concept.

    A track's group carries its title."""
    titles = track_titles() if any(r.kind == "track" for r in summary.recall) else {}
    return {
        "target_retention": summary.target_retention,
        "groups": [
            {
                "kind": r.kind,
                "name": r.name,
                "title": titles.get(r.name, r.name),
                "concepts": r.concepts,
                "with_plan": r.with_plan,
                "without_reviews": r.without_reviews,
                "below_target": r.below_target,
            }
            for r in summary.recall
        ],
        "concepts": {
            slug: {"with_plan": with_plan, "without_reviews": without}
            for slug, (with_plan, without) in sorted(summary.recall_by_concept.items())
        },
    }


@dataclass(frozen=True)
class NewPlan:
    """A plan just stored, with the schedule it was written from and the ids its items got
    (in `schedule.items()` order): what answering with the plan needs, without reading
    its items back (formats.new_plan_payload)."""

    plan: Plan
    schedule: core.Schedule
    item_ids: list[int]


def create_plan(*, owner=None, inputs: PlanInputs, today: date | None = None) -> Plan:
    """Build and store a plan: one transaction, items written in bulk."""
    return store_new_plan(owner=owner, inputs=inputs, today=today).plan


def store_new_plan(*, owner=None, inputs: PlanInputs, today: date | None = None) -> NewPlan:
    """create_plan, keeping what was written for the answer (the API's 201)."""
    resolved, schedule = preview_plan(inputs, today=today, owner=owner)
    plan = Plan(
        owner=owner,
        team=resolved.team,
        title=_title(resolved),
        summary=summary_json(schedule) | {"assumed": resolved.assumed, "days": day_rows(schedule)},
        interview_at=resolved.interview_at,
        timezone=inputs.timezone,
        start_date=resolved.request.start,
    )
    _store_inputs(plan, resolved.inputs)
    with transaction.atomic():
        plan.save(force_insert=True)
        item_ids = _write_new_items(plan, schedule)
    return NewPlan(plan, schedule, item_ids)


def plan_archive(*, plan: Plan, archived: bool = True) -> Plan:
    """Archive a plan (it stays readable and sends no reminders), or bring it back."""
    plan.archived_at = (plan.archived_at or dj_timezone.now()) if archived else None
    plan.save(update_fields=["archived_at", "updated_at"])
    return plan


def mark_item(*, item: PlanItem, status: str, revision: int | None = None) -> PlanItem:
    """Set `item`'s status; PlanChanged if a replan deleted it since it was read.

    `revision`, when given, is the plan revision the caller saw: a mark on any
    other revision is refused too, for clients that want to act only on the
    schedule they showed.
    """
    return _mark(
        plan_id=item.plan_id, item_id=item.pk, status=status, revision=revision, existed=True
    )


def mark_plan_item(
    *, plan: Plan, item_id: int, status: str, revision: int | None = None
) -> PlanItem:
    """Set the status of `plan`'s item `item_id` (the API's PATCH, ids from the client).

    An id the plan no longer has is PlanChanged when a replan deleted it (so
    a mark racing a replan is a 409, not a 404), PlanItemNotFound otherwise.
    """
    return _mark(plan_id=plan.pk, item_id=item_id, status=status, revision=revision, existed=False)


def _mark(
    *, plan_id: int, item_id: int, status: str, revision: int | None, existed: bool
) -> PlanItem:
    """Lock the plan, re-read the item, write: replan holds the same lock while it rebuilds.

    Without the lock a mark could update a row a concurrent replan had just
    deleted (a 500), or mark an item the replan had already read as pending
    and then recreated (the mark lost). SQLite transactions are IMMEDIATE
    (settings), which serialises them the same way.
    """
    if status not in ItemStatus.values:
        raise PlanInputError("status", f"{status!r} is not one of {', '.join(ItemStatus.values)}")
    with transaction.atomic():
        plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise PlanChanged(plan_id, item_id, revision=None, why="it was deleted")
        if revision is not None and revision != plan.revision:
            raise PlanChanged(
                plan_id,
                item_id,
                revision=plan.revision,
                why=f"you saw revision {revision}, it is now at revision {plan.revision}",
            )
        item = plan.items.filter(pk=item_id).first()
        if item is None:
            if existed or _replanned_away(plan, item_id):
                raise PlanChanged(
                    plan_id,
                    item_id,
                    revision=plan.revision,
                    why=f"it was replanned, now revision {plan.revision}, without item {item_id}",
                )
            raise PlanItemNotFound(plan_id, item_id)
        item.plan = plan
        item.status = status
        item.completed_at = dj_timezone.now() if status == ItemStatus.DONE else None
        item.save(update_fields=["status", "completed_at"])
    return item


def _replanned_away(plan: Plan, item_id: int) -> bool:
    """Was `item_id` probably one of `plan`'s items that a replan deleted?

    No tombstones are kept, so: the plan has been replanned, no row has that
    id any more, and the id is older than the plan's newest item (row ids
    only grow, and a replan recreates the items it deletes with new ids).
    """
    if plan.revision < 2 or PlanItem.objects.filter(pk=item_id).exists():
        return False
    newest = plan.items.order_by("-pk").values_list("pk", flat=True).first()
    return newest is not None and item_id < newest


@dataclass(frozen=True)
class StudyProgress:
    """What a plan's done learning sessions add up to, concept by concept.

    learned: concepts studied to the end.
    minutes, sessions: for concepts begun but not finished, the minutes done
        and the number of done sessions (so a replan continues the part numbers).
    """

    learned: frozenset[str]
    minutes: dict[str, int]
    sessions: dict[str, int]


def study_progress(plan: Plan, graph: nx.DiGraph | None = None) -> StudyProgress:
    """Sum the done learning sessions of `plan` per concept.

    A concept is learned when every session of it in the plan is done, or
    when its done sessions add up to its estimate. The second rule matters
    after a replan: the sessions missed before it stay pending as history
    while the rest was scheduled again, so "every session done" would never
    hold. A concept no longer in the KB counts only by the first rule. The
    graph (the current one when not given) is consulted only when some
    concept is part done, which keeps plain reads at their query count.
    """
    minutes: dict[str, int] = {}
    sessions: dict[str, int] = {}
    all_done: dict[str, bool] = {}
    rows = plan.items.filter(kind=ItemKind.LEARN).values_list("concept_slug", "status", "minutes")
    for slug, status, length in rows:
        done = status == ItemStatus.DONE
        all_done[slug] = all_done.get(slug, True) and done
        if done:
            minutes[slug] = minutes.get(slug, 0) + length
            sessions[slug] = sessions.get(slug, 0) + 1
    learned = {slug for slug, every in all_done.items() if every}
    begun = {slug for slug in minutes if slug not in learned}
    if begun:
        graph = graph if graph is not None else kb_graph.current_graph()
        begun = {slug for slug in begun if slug in graph}
        finished = {slug for slug in begun if minutes[slug] >= core.learn_minutes(graph, slug)}
        learned |= finished
        begun -= finished
    return StudyProgress(
        learned=frozenset(learned),
        minutes={slug: minutes[slug] for slug in sorted(begun)},
        sessions={slug: sessions[slug] for slug in sorted(begun)},
    )


def learned_concepts(plan: Plan, *, graph: nx.DiGraph | None = None) -> set[str]:
    """Concepts studied to the end in `plan` (see study_progress)."""
    return set(study_progress(plan, graph).learned)


def replan(
    *,
    plan: Plan,
    today: date | None = None,
    interview: date | None = None,
    hours_per_weekday: tuple[float, ...] | None = None,
    blackout: tuple[date, ...] | None = None,
) -> Plan:
    """Keep what is done, reschedule the rest from today, bump the revision.

    Items before today stay as history (done, skipped or missed); from today
    on, everything not done is planned again around what is done already,
    from the inputs the plan was made with (plan_inputs) with the changes
    given. Concepts studied to the end become known; one begun but not
    finished gets only its remaining minutes, and its dependents still wait
    for it.
    """
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        old = plan_inputs(plan)
        today = today or local_today(old.timezone)
        changes: dict[str, Any] = {"start": today}
        if interview is not None:
            changes["interview"] = interview
        if hours_per_weekday is not None:
            changes["hours_per_weekday"] = tuple(hours_per_weekday)
        if blackout is not None:
            changes["blackout"] = tuple(blackout)
        graph = kb_graph.current_graph()
        progress = study_progress(plan, graph)
        # A shaky concept whose refresher is done is refreshed: no second refresher, but
        # it is not learned either (its shaky prerequisites keep their own refreshers).
        refreshed = plan.items.filter(
            kind=ItemKind.REVIEW, note=REFRESHER_NOTE, status=ItemStatus.DONE
        ).values_list("concept_slug", flat=True)
        changes["learned"] = tuple(sorted(set(old.learned) | progress.learned))
        changes["refreshed"] = tuple(
            sorted((set(old.refreshed) | set(refreshed)) - set(changes["learned"]))
        )
        inputs = dataclasses.replace(old, **changes)

        kept = plan.items.filter(date__lt=today) | plan.items.filter(status=ItemStatus.DONE)
        done_ahead: dict[date, int] = {}
        for day, minutes in kept.filter(date__gte=today).values_list("date", "minutes"):
            done_ahead[day] = done_ahead.get(day, 0) + minutes
        mocks_done = frozenset(
            plan.items.filter(kind="mock", status=ItemStatus.DONE).values_list("stage", flat=True)
        )
        # When each concept learned or refreshed here was last studied: without a rating of
        # its own, its reviews go on from there as if its self-test was rated Good.
        studied_on: dict[str, date] = {}
        for slug, day in (
            plan.items.filter(
                status=ItemStatus.DONE,
                concept_slug__in=set(changes["learned"]) | set(changes["refreshed"]),
            )
            .exclude(kind=ItemKind.PRACTICE)
            .values_list("concept_slug", "date")
        ):
            studied_on[slug] = max(day, studied_on.get(slug, day))
        resolved = resolve(
            inputs,
            today=today,
            already_used=done_ahead,
            skip_mocks=mocks_done,
            progress=progress,
            owner=plan.owner,
            studied_on=studied_on,
        )
        schedule = core.build_schedule(graph, resolved.request)

        plan.items.filter(date__gte=today).exclude(status=ItemStatus.DONE).delete()
        next_order = {
            day: order + 1
            for day, order in plan.items.filter(date__gte=today)
            .values_list("date", "order")
            .order_by("date", "order")
        }
        _write_items(plan, schedule, next_order)
        history = [d for d in plan.summary.get("days", []) if d["date"] < today.isoformat()]
        _store_inputs(plan, resolved.inputs)
        plan.summary = summary_json(schedule) | {
            "assumed": resolved.assumed,
            "days": history + day_rows(schedule),
        }
        plan.interview_at = resolved.interview_at
        plan.revision += 1
        plan.save()
    return plan


@dataclass(frozen=True)
class MovedReviews:
    """What a rating did to a plan's reviews of the concept: the days they are on now."""

    concept: str
    days: list[date]
    revision: int


def reviews_after_rating(
    *, plan: Plan, concept_slug: str, keep_item_id: int | None = None, today: date | None = None
) -> MovedReviews | None:
    """Place the concept's pending reviews again where its card is now due.

    A rating moves the card's next review (Again brings it forward, Easy
    pushes it back); the plan follows without a replan, so nothing learned
    moves: the concept's pending spaced and final reviews from today on
    (never a shaky refresher, the interview day's light review or the item
    just rated, `keep_item_id`) are removed, and planner.reviews places the
    chain again in the time the days have left, buffers giving way. None when
    the plan's owner has no card for the concept or the plan does not study it.
    """
    card_row = MemoryCard.objects.filter(user=plan.owner_id, concept_slug=concept_slug).first()
    if card_row is None or not card_row.state:
        return None
    if not plan.items.filter(concept_slug=concept_slug).exists():
        return None
    inputs = plan_inputs(plan)
    today = today or local_today(plan.timezone)
    graph = kb_graph.current_graph()
    if concept_slug not in graph:
        return None
    fitted = FsrsParameters.objects.filter(user=plan.owner_id).values_list("parameters", flat=True)
    # In the plan's time zone: in UTC a card due at 00:43 in Berlin is due the day before,
    # and its review was placed a day before it is due.
    interview_at = local_interview_at(plan)
    forecast = memory.Forecast(
        interview_at, parameters=fitted.first(), study_time=inputs.study_time
    )
    interview = interview_at.date()
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        moving = plan.items.filter(
            kind=ItemKind.REVIEW,
            concept_slug=concept_slug,
            status=ItemStatus.PENDING,
            date__gte=today,
            date__lt=interview,
        ).exclude(note=REFRESHER_NOTE)
        if keep_item_id is not None:
            moving = moving.exclude(pk=keep_item_id)
        moving.delete()
        rows = list(
            plan.items.filter(date__gte=today, date__lte=interview).order_by("date", "order")
        )
        days = _days_as_left(inputs, today, interview, rows)
        study = [d for d in days if not d.interview_day and d.available_minutes > 0]
        if not study:
            return MovedReviews(concept_slug, [], plan.revision)
        window = reviews.ReviewWindow(
            {d.date: d for d in days}, today, study[-1].date, reviews.final_review_days(study)
        )
        minutes = reviews.review_minutes(core.learn_minutes(graph, concept_slug))
        card = forecast.card(card_row.state)
        # A review just made due (Again) takes the first day with room before the final
        # days, however late: two days of slack would leave it to the final days.
        slack = max(reviews.REVIEW_SLACK_DAYS, (window.final_days[0] - today).days)
        chain = reviews.review_chain(window, forecast, concept_slug, card, minutes, slack)
        if forecast.recall(chain.card) < TARGET_RETENTION:
            since = chain.last or card_row.last_review.astimezone(forecast.zone).date()
            reviews.final_review(window, forecast, concept_slug, chain.card, minutes, since)
        placed = _rebalance_buffers(plan, days, rows, concept_slug)
        plan.revision += 1
        plan.save(update_fields=["revision"])
    return MovedReviews(concept_slug, placed, plan.revision)


def _days_as_left(
    inputs: PlanInputs, today: date, interview: date, rows: list[PlanItem]
) -> list[core.Day]:
    """The plan's days from today, each with what its items already use, except what gives
    way to a review: buffers, and question practice not done yet."""
    used: dict[date, int] = {}
    for row in rows:
        if not _gives_way(row):
            used[row.date] = used.get(row.date, 0) + row.minutes
    days = []
    current = today
    while current <= interview:
        hours = 0.0 if current in inputs.blackout else inputs.hours_per_weekday[current.weekday()]
        days.append(
            core.Day(
                current,
                round(hours * 60),
                reserved_minutes=used.get(current, 0),
                interview_day=current == interview,
            )
        )
        current += timedelta(days=1)
    return days


def _gives_way(row: PlanItem) -> bool:
    """Buffers, and question practice not done yet, make room for a review a rating made
    due: forgetting a concept comes before more questions on the ones remembered."""
    return row.kind == ItemKind.BUFFER or (
        row.kind == ItemKind.PRACTICE and row.status == ItemStatus.PENDING
    )


def _rebalance_buffers(
    plan: Plan, days: list[core.Day], rows: list[PlanItem], concept_slug: str
) -> list[date]:
    """Write the reviews placed in `days`; shorten the day's pending practice where the
    reviews need its time (dropping what would be under a question's length), and size
    each day's buffer to what is left."""
    concept_ids = dict(Concept.objects.filter(slug=concept_slug).values_list("slug", "id"))
    last_order: dict[date, int] = {}
    buffers: dict[date, PlanItem] = {}
    practice: dict[date, list[PlanItem]] = {}
    for row in rows:
        last_order[row.date] = max(last_order.get(row.date, 0), row.order)
        if row.kind == ItemKind.BUFFER and row.status == ItemStatus.PENDING:
            buffers[row.date] = row
        elif _gives_way(row):
            practice.setdefault(row.date, []).append(row)
    placed, new_rows, resized, dropped = [], [], [], []
    for day in days:
        for offset, item in enumerate(day.items, start=1):
            placed.append(day.date)
            order = last_order.get(day.date, 0) + offset
            new_rows.append(_item_values(plan, day.date, order, item, concept_ids))
        free = day.free_minutes  # what the day has beside its practice and buffer
        for row in practice.get(day.date, []):  # in order: the day's last practice gives way
            keep = max(0, min(row.minutes, free))
            if keep < PRACTICE_MINUTES_PER_QUESTION:
                dropped.append(row.pk)
                keep = 0
            elif keep != row.minutes:
                row.minutes = keep
                resized.append(row)
            free -= keep
        buffer = buffers.get(day.date)
        if buffer is None:
            continue
        if free >= MIN_BUFFER_MINUTES and not day.interview_day:
            if buffer.minutes != free:
                buffer.minutes = free
                resized.append(buffer)
        else:
            dropped.append(buffer.pk)
    # At most three writes, however many days changed.
    insert_rows(PlanItem, ITEM_FIELDS, new_rows)
    PlanItem.objects.bulk_update(resized, ["minutes"])
    PlanItem.objects.filter(pk__in=dropped).delete()
    return placed


def days_until(plan: Plan, today: date) -> int:
    return (local_interview_at(plan).date() - today) // timedelta(days=1)
