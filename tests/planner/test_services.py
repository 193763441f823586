import dataclasses
import json
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from kb import graph as kb_graph
from kb.errors import UnknownConcept
from kb.models import Concept, InterviewStage, TeamProfile, Track, TrackConcept
from planner import calendar, formats, selection, services
from planner.core import PlanInputError
from planner.models import Plan, PlanItem
from planner.services import PlanInputs

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)


def inputs(**overrides) -> PlanInputs:
    values = dict(
        team="llm-research",
        interview=MONDAY + timedelta(days=18),
        start=MONDAY,
        timezone="Europe/Berlin",
        hours_per_weekday=(2, 2, 2, 2, 2, 4, 4),
    )
    values.update(overrides)
    return PlanInputs(**values)


def learned(plan: Plan) -> list[str]:
    """Learned concepts in order, once each (a split concept has several sessions)."""
    rows = plan.items.filter(kind="learn").order_by("date", "order")
    return list(dict.fromkeys(rows.values_list("concept_slug", flat=True)))


def test_create_plan_stores_the_schedule_and_its_summary(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    assert plan.title == "LLM research interview on 2026-12-18"
    assert plan.interview_at == datetime(2026, 12, 18, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    order = learned(plan)
    for before, after in [("softmax", "self-attention"), ("self-attention", "transformer"),
                          ("transformer", "bert")]:  # fmt: skip
        assert order.index(before) < order.index(after)
    assert plan.summary["cut"] == []
    assert plan.summary["coverage"] == 1.0
    assert len(plan.summary["days"]) == 19
    mocks = list(plan.items.filter(kind="mock").values_list("stage", flat=True))
    assert mocks == ["ml-coding", "ml-concepts", "research-talk"]


def test_relevance_comes_from_the_teams_track_weights(small_kb):
    resolved = services.resolve(inputs(), today=MONDAY)
    assert resolved.request.relevance == {
        "bert": 1.0,
        "transformer": 0.9,
        "tokenization": 0.5,
        "k-means": 0.18,
        "softmax": 0.12,
    }
    assert resolved.request.questions == {
        "implement-attention": {"self-attention", "softmax"},
        "what-is-bert": {"bert", "transformer"},
    }


def test_a_teams_must_have_topics_reach_the_planner_and_are_learned_first(small_kb):
    short = inputs(interview=MONDAY + timedelta(days=5), hours_per_weekday=(1,) * 7)
    assert services.resolve(short, today=MONDAY).request.must == frozenset()
    before = services.create_plan(inputs=short, today=MONDAY).summary["learned"]
    assert before == ["tokenization", "softmax"]  # k-means (useful, 2 h) does not make it
    team = TeamProfile.objects.get(slug="llm-research")
    team.must_have.add(Concept.objects.get(slug="k-means"))  # a KB write: a new revision
    assert services.resolve(short, today=MONDAY).request.must == {"k-means"}
    after = services.create_plan(inputs=short, today=MONDAY).summary["learned"]
    assert "k-means" in after and "tokenization" not in after


def test_a_must_have_the_background_is_rusty_on_is_studied_in_full(small_kb):
    nlp = Track.objects.get(slug="nlp")
    attention = Concept.objects.get(slug="self-attention")
    TrackConcept.objects.create(track=nlp, concept=attention, weight=0.5)
    with_background = inputs(background="ml-engineer")
    assert "self-attention" in services.resolve(with_background, today=MONDAY).request.shaky
    TeamProfile.objects.get(slug="llm-research").must_have.add(attention)
    resolved = services.resolve(with_background, today=MONDAY)
    assert resolved.request.must == {"self-attention"}
    assert resolved.assumed.endswith(
        "Studied in full all the same, as every loop asks about them: Self attention."
    )
    plan = services.create_plan(inputs=with_background, today=MONDAY)
    assert plan.items.filter(kind="learn", concept_slug="self-attention").exists()
    assert not plan.items.filter(note__startswith="shaky", concept_slug="self-attention")


def test_the_groundwork_of_the_teams_rounds_reaches_the_planner_and_comes_first(small_kb):
    def essential(stage: str, slug: str) -> None:  # each a KB write: a new revision
        InterviewStage.objects.get(slug=stage).essentials.add(Concept.objects.get(slug=slug))

    assert services.resolve(inputs(), today=MONDAY).request.essentials == {}
    essential("hiring-manager", "k-means")
    essential("research-talk", "tokenization")
    essential("ml-coding", "linear-algebra")  # weighed by none of the team's tracks: left out
    essential("ml-system-design", "softmax")  # not a round of this team's loop
    resolved = services.resolve(inputs(), today=MONDAY)
    assert resolved.request.essentials == {  # in the loop's order
        "tokenization": ("research-talk", "Research talk"),
        "k-means": ("hiring-manager", "Hiring manager"),
    }
    assert resolved.request.must == frozenset()  # the team's own must-haves stay apart
    assert services.team_must_have(resolved.team) == ()  # and are what the pages mark
    needed = selection.needed_subgraph(kb_graph.current_graph(), resolved.request)
    assert needed.must == ["tokenization"]  # k-means is useful to the team only: weighed
    # An ML engineer gives no job talk: its groundwork is not asked for.
    as_engineer = services.resolve(inputs(role="ml-engineer"), today=MONDAY)
    assert as_engineer.request.essentials == {"k-means": ("hiring-manager", "Hiring manager")}


def test_research_talk_mock_only_for_research_scientists(small_kb):
    resolved = services.resolve(inputs(team="ads-ranking"), today=MONDAY)
    assert [m.stage for m in resolved.request.mocks] == ["ml-coding", "ml-system-design"]
    as_scientist = services.resolve(
        inputs(team="ads-ranking", role="research-scientist"), today=MONDAY
    )
    assert "research-talk" in [m.stage for m in as_scientist.request.mocks]


def test_explicit_targets_without_a_team(small_kb):
    plan = services.create_plan(
        inputs=inputs(team=None, targets=("transformer",), known=("linear-algebra",)), today=MONDAY
    )
    assert learned(plan) == ["softmax", "self-attention", "transformer"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"team": "ghost-team"}, "team: unknown team 'ghost-team'"),
        ({"team": None}, "team: give a team, tracks or target concepts"),
        ({"tracks": {"ghost": 1.0}}, "tracks: unknown track 'ghost'"),
        ({"interview": MONDAY - timedelta(days=1)}, "interview: 2026-11-29 is in the past"),
        ({"start": MONDAY + timedelta(days=30)}, "interview: 2026-12-18 is before the start date"),
        ({"hours_per_weekday": (0,) * 7}, "hours: no study time at all"),
        ({"hours_per_weekday": (1, 2)}, "hours: needs 7 values"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"role": "wizard"}, "role: 'wizard' is not one of"),
        ({"known": ("ghost",)}, "known: unknown concept 'ghost'"),
        ({"interview": MONDAY + timedelta(days=400)}, "interview: 2028-01-04 is more than 366"),
        ({"targets": ("ghost",)}, "targets: unknown concept 'ghost'"),
    ],
)
def test_bad_inputs_name_the_field_and_write_nothing(small_kb, overrides, message):
    with pytest.raises((PlanInputError, UnknownConcept)) as error:
        services.create_plan(inputs=inputs(**overrides), today=MONDAY)
    assert error.value.message.startswith(message)
    assert Plan.objects.count() == 0 and PlanItem.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("weekdays=2,weekends=4", (2, 2, 2, 2, 2, 4, 4)),
        ("mon=1, sat=3.5", (1, 0, 0, 0, 0, 3.5, 0)),
        ("1,1,1,1,1,0,0", (1, 1, 1, 1, 1, 0, 0)),
        ("1.5", (1.5,) * 7),
        ("all=1,sunday=0", (1, 1, 1, 1, 1, 1, 0)),
    ],
)
def test_parse_hours_forms(text, hours):
    assert services.parse_hours(text) == hours


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "hours: give hours per day"),
        ("weekdays=two", "hours: weekdays: 'two' is not a number"),
        ("fortnight=2", "hours: unknown day 'fortnight'"),
        ("1,2,3", "hours: give 1 or 7 numbers"),
        ("mon=25", "hours: mon: 25 is not between 0 and 24"),
        ("mon=1,2", "hours: '2': mix of keyed and plain values"),
    ],
)
def test_parse_hours_names_what_is_wrong(text, message):
    with pytest.raises(PlanInputError) as error:
        services.parse_hours(text)
    assert error.value.message.startswith(message)


def test_an_infeasible_plan_is_still_a_plan_with_its_cuts(small_kb):
    plan = services.create_plan(
        inputs=inputs(interview=MONDAY + timedelta(days=2), hours_per_weekday=(1,) * 7),
        today=MONDAY,
    )
    assert plan.summary["cut"]
    core_cuts = [c for c in plan.summary["cut"] if c["tier"] == "core"]
    core = next(t for t in plan.summary["tiers"] if t["name"] == "core")
    assert plan.summary["warnings"][0].startswith(
        f"{len(core_cuts)} of {core['targets']} core topics do not fit"
    )
    assert all(c["reason"] for c in plan.summary["cut"])


def test_prerequisite_cuts_past_the_listed_ones_are_counted_everywhere(small_kb, monkeypatch):
    short = inputs(interview=MONDAY + timedelta(days=2), hours_per_weekday=(1,) * 7)
    every = services.create_plan(inputs=short, today=MONDAY).summary
    named = [c for c in every["cut"] if not c["tier"]]
    assert len(named) >= 2 and every["unlisted_cuts"] == {"count": 0, "minutes": 0}
    monkeypatch.setattr(selection, "PREREQUISITE_CUTS_LISTED", 1)
    plan = services.create_plan(inputs=short, today=MONDAY)
    listed = [c for c in plan.summary["cut"] if not c["tier"]]
    assert listed == named[-1:]  # the one nearest the cut topics
    minutes = sum(c["minutes"] for c in named[:-1])
    assert plan.summary["unlisted_cuts"] == {"count": len(named) - 1, "minutes": minutes}
    text = formats.to_table(formats.plan_payload(plan))
    assert f"+ {len(named)} prerequisite(s) of cut topics" in text
    assert "--format json lists the 1 nearest the cut topics" in text


def test_create_plan_runs_a_bounded_number_of_queries(small_kb, django_assert_max_num_queries):
    services.create_plan(inputs=inputs(), today=MONDAY)  # warms the graph cache
    with django_assert_max_num_queries(16):
        services.create_plan(inputs=inputs(), today=MONDAY)


def test_mark_item_done_and_skipped(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    item = plan.items.filter(kind="learn").first()
    services.mark_item(item=item, status="done")
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None
    services.mark_item(item=item, status="skipped")
    item.refresh_from_db()
    assert item.status == "skipped" and item.completed_at is None
    with pytest.raises(PlanInputError, match="status: 'finished' is not one of"):
        services.mark_item(item=item, status="finished")


def test_replan_after_missed_days_keeps_history_and_done_work(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    for item in plan.items.filter(date=MONDAY):
        services.mark_item(item=item, status="done")
    done_concepts = services.learned_concepts(plan)
    # The first concept may be split over two days: Monday's part is done either way.
    assert done_concepts or plan.items.filter(date=MONDAY, kind="learn", parts__gt=1).exists()
    before_today = plan.items.filter(date__lt=MONDAY + timedelta(days=3)).count()
    today = MONDAY + timedelta(days=3)  # Tuesday and Wednesday were missed

    plan = services.replan(plan=plan, today=today)

    assert plan.revision == 2
    assert plan.items.filter(date__lt=today).count() == before_today  # history untouched
    new = plan.items.filter(date__gte=today, kind="learn")
    assert not set(new.values_list("concept_slug", flat=True)) & done_concepts
    assert not plan.items.filter(date__gte=today).exclude(status="pending").exists()
    assert plan.summary["days"][0]["date"] == MONDAY.isoformat()
    assert plan.summary["days"][3]["date"] == today.isoformat()
    assert set(plan.inputs["known"]) >= done_concepts
    # Missed concepts are planned again.
    missed = set(
        plan.items.filter(date__lt=today, date__gt=MONDAY, kind="learn").values_list(
            "concept_slug", flat=True
        )
    )
    assert missed <= set(new.values_list("concept_slug", flat=True)) | done_concepts


def test_replan_with_a_new_date_and_hours(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    plan = services.replan(
        plan=plan,
        today=MONDAY + timedelta(days=1),
        interview=MONDAY + timedelta(days=10),
        hours_per_weekday=(1, 1, 1, 1, 1, 1, 1),
    )
    assert plan.interview_at.date() == MONDAY + timedelta(days=10)
    assert not plan.items.filter(date__gt=MONDAY + timedelta(days=10)).exists()
    tuesday = plan.items.filter(date=MONDAY + timedelta(days=1))
    assert sum(tuesday.values_list("minutes", flat=True)) <= 60


def test_replan_keeps_work_done_ahead_and_does_not_overbook_that_day(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    tomorrow = MONDAY + timedelta(days=1)
    ahead = plan.items.filter(date=tomorrow, kind="learn").first()
    services.mark_item(item=ahead, status="done")
    plan = services.replan(plan=plan, today=tomorrow)
    day_items = plan.items.filter(date=tomorrow)
    assert day_items.filter(pk=ahead.pk, status="done").exists()
    assert sum(day_items.values_list("minutes", flat=True)) <= 120
    orders = list(day_items.values_list("order", flat=True))
    assert len(orders) == len(set(orders))


def test_plan_payload_is_the_documented_contract(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    payload = json.loads(json.dumps(formats.plan_payload(plan)))
    assert payload["interview"] == "2026-12-18"
    assert set(payload["summary"]) >= {
        "needed_minutes",
        "available_minutes",
        "coverage",
        "cut",
        "warnings",
    }
    day = payload["days"][0]
    assert set(day) >= {"date", "available_minutes", "items"}
    kinds = {item["kind"] for d in payload["days"] for item in d["items"]}
    assert kinds <= {"learn", "review", "practice", "mock", "buffer"}
    learn = next(i for d in payload["days"] for i in d["items"] if i["kind"] == "learn")
    assert set(learn) >= {"id", "kind", "concept", "minutes", "title", "resources", "status"}
    assert learn["resources"] and learn["resources"][0]["url"].startswith("https://")
    practice = [i for d in payload["days"] for i in d["items"] if i["kind"] == "practice"]
    assert practice and any(item["questions"] for item in practice)


def test_dst_crossing_plan_keeps_study_blocks_at_local_time(small_kb):
    # Europe/Berlin leaves summer time on Sunday 25 October 2026.
    plan = services.create_plan(
        inputs=inputs(
            start=date(2026, 10, 20),
            interview=date(2026, 11, 3),
            study_time=time(19, 0),
        ),
        today=date(2026, 10, 20),
    )
    days = [d["date"] for d in plan.summary["days"]]
    assert days[0] == "2026-10-20" and days[-1] == "2026-11-03" and len(days) == 15
    ics = calendar.to_ics(formats.plan_payload(plan), key=str(plan.uid), stamp=plan.updated_at)
    events = [e for e in Calendar.from_ical(ics).walk("VEVENT") if "interview" not in str(e["UID"])]
    starts = {e.decoded("DTSTART").date().isoformat(): e.decoded("DTSTART") for e in events}
    before, after = starts["2026-10-24"], starts["2026-10-26"]
    assert before.hour == after.hour == 19
    assert before.utcoffset() == timedelta(hours=2) and after.utcoffset() == timedelta(hours=1)


def test_ics_round_trip_with_stable_uids_across_replans(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    first = Calendar.from_ical(
        calendar.to_ics(formats.plan_payload(plan), key=str(plan.uid), stamp=plan.updated_at)
    )
    assert first.walk("VTIMEZONE"), "the time zone travels with the file"
    events = first.walk("VEVENT")
    study_days = [d for d in formats.plan_payload(plan)["days"] if any(
        i["kind"] != "buffer" for i in d["items"])]  # fmt: skip
    assert len(events) == len(study_days) + 1  # plus the interview itself
    for event in events:
        assert str(event["UID"]).startswith(str(plan.uid))
        if "interview" not in str(event["UID"]):
            assert event.walk("VALARM")
    uids = {str(e["UID"]) for e in events}

    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    second = Calendar.from_ical(
        calendar.to_ics(formats.plan_payload(plan), key=str(plan.uid), stamp=plan.updated_at)
    )
    again = {str(e["UID"]): e for e in second.walk("VEVENT")}
    assert set(again) & uids >= {f"{plan.uid}-{(MONDAY + timedelta(days=2)).isoformat()}@prepgraph"}
    assert all(int(e["SEQUENCE"]) == 2 for e in again.values())


# --- the plan command ----------------------------------------------------------------------


def run_plan(*args) -> str:
    out = StringIO()
    call_command("plan", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


BASE_ARGS = ["--team", "llm-research", "--interview", "2026-12-18", "--start", "2026-11-30",
             "--timezone", "Europe/Berlin", "--hours", "weekdays=2,weekends=4"]  # fmt: skip


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "local_today", lambda tz: MONDAY)


def test_plan_command_prints_a_readable_agenda(small_kb, frozen_today):
    text = run_plan(*BASE_ARGS, "--known", "linear-algebra")
    assert text.startswith("Plan for llm-research (research-scientist)")
    assert "Mon 30 Nov  (2h00 available)" in text
    assert "Mock interview: Research talk" in text
    assert "Linear algebra" not in text
    assert Plan.objects.count() == 0  # a preview writes nothing


def test_plan_command_json_follows_the_contract(small_kb, frozen_today):
    payload = json.loads(run_plan(*BASE_ARGS, "--format", "json"))
    assert payload["interview"] == "2026-12-18"
    assert payload["days"][0]["date"] == "2026-11-30"
    assert {"needed_minutes", "available_minutes", "coverage", "cut", "warnings"} <= set(
        payload["summary"]
    )


def test_plan_command_markdown_and_ics(small_kb, frozen_today):
    markdown = run_plan(*BASE_ARGS, "--format", "markdown")
    assert markdown.startswith("# Plan for llm-research")
    assert "- [ ] **learn**" in markdown and "](https://" in markdown

    def uids(*extra) -> set[str]:
        ics = run_plan(*BASE_ARGS, "--format", "ics", *extra)
        return {str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT")}

    # An unsaved plan's events keep their UIDs when its hours change, date by date.
    first, changed = uids(), uids("--hours", "3")
    assert "interview@prepgraph" in " ".join(first)
    assert len(first & changed) >= len(first) - 3
    assert uids() == first


def test_plan_command_saves_for_a_user(small_kb, frozen_today):
    get_user_model().objects.create_user("ada")
    run_plan(*BASE_ARGS, "--save", "--user", "ada")
    assert Plan.objects.get().owner.username == "ada"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hours", "weekdays=lots"], "--hours: weekdays: 'lots' is not a number"),
        (["--interview", "18/12/2026"], "--interview: '18/12/2026' is not a date"),
        (["--team", "nope"], "team: unknown team 'nope'"),
        (["--known", "ghost"], "known: unknown concept 'ghost'"),
        (["--timezone", "Nowhere/City"], "timezone: unknown time zone"),
        (["--save"], "--user: a saved plan needs an owner"),
        (["--save", "--user", "nobody"], "--user: no user 'nobody'"),
    ],
)
def test_plan_command_bad_input_is_named(small_kb, frozen_today, args, message):
    with pytest.raises(CommandError) as error:
        run_plan(*BASE_ARGS, *args)
    assert str(error.value).startswith(message)
    assert Plan.objects.count() == 0


def test_a_long_target_list_still_makes_a_title_that_fits(small_kb):
    long_team = small_kb["teams"][0] | {"name": "x" * 200}
    from kb import io

    io.import_text(json.dumps({"format": "prepgraph/1", "teams": [long_team]}))
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    assert len(plan.title) <= 200 and plan.title.endswith("interview on 2026-12-18")


# --- replan continues partial work ---------------------------------------------------------


def learn_sessions(plan: Plan, slug: str, **filters) -> list[PlanItem]:
    return list(plan.items.filter(kind="learn", concept_slug=slug, **filters).order_by("date"))


def first_split(plan: Plan) -> tuple[str, list[PlanItem]]:
    """The first concept the plan split into parts, and its sessions."""
    first = plan.items.filter(kind="learn", parts__gt=1).order_by("date", "order").first()
    return first.concept_slug, learn_sessions(plan, first.concept_slug)


def test_replan_schedules_only_the_rest_of_a_split_concept_and_numbers_on(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    parts = learn_sessions(plan, "transformer")
    assert len(parts) > 1
    full = sum(item.minutes for item in parts)
    # Everything learned up to the transformer's first part is done, then its first part.
    earlier = plan.items.filter(kind="learn", date__lte=parts[0].date)
    for item in earlier.exclude(date=parts[0].date, order__gt=parts[0].order):
        services.mark_item(item=item, status="done")
    today = parts[0].date + timedelta(days=1)

    plan = services.replan(plan=plan, today=today)

    new = learn_sessions(plan, "transformer", date__gte=today, status="pending")
    assert parts[0].minutes + sum(item.minutes for item in new) == full
    assert [(item.part, item.parts) for item in new] == [
        (2 + n, 1 + len(new)) for n in range(len(new))
    ]
    note = f"continued: {parts[0].minutes} of {full} min done"
    assert {item.note for item in new} == {note}
    learned = services.plan_inputs(plan).learned
    assert "self-attention" in learned and "transformer" not in learned  # begun, not learned
    assert plan.summary["learned"].count("transformer") == 1
    assert plan.summary["coverage"] == 1.0
    # BERT still waits for the transformer's last session.
    bert = learn_sessions(plan, "bert", date__gte=today)
    assert bert and all(item.date >= new[-1].date for item in bert)
    text = formats.to_table(formats.plan_payload(plan))
    done = f"{parts[0].minutes} of {full} min done"
    assert f"Transformer (part 2/{1 + len(new)}, {done})" in text


def test_a_concept_finished_after_a_replan_counts_as_learned_though_a_missed_part_stays_pending(
    small_kb,
):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    slug, parts = first_split(plan)
    services.mark_item(item=parts[0], status="done")
    # The day of part 2 passes unmarked: it stays in the history as pending.
    later = parts[1].date + timedelta(days=1)
    plan = services.replan(plan=plan, today=later)
    for item in learn_sessions(plan, slug, date__gte=later, status="pending"):
        services.mark_item(item=item, status="done")
    assert learn_sessions(plan, slug, status="pending")  # the missed part 2

    assert slug in services.learned_concepts(plan)
    plan = services.replan(plan=plan, today=later + timedelta(days=1))
    assert slug in services.plan_inputs(plan).learned
    assert not learn_sessions(plan, slug, date__gt=later, status="pending")


def test_progress_counts_done_minutes_of_concepts_begun_and_not_finished(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    slug, parts = first_split(plan)
    services.mark_item(item=parts[0], status="done")
    progress = services.study_progress(plan)
    assert progress.learned == frozenset()
    assert progress.minutes == {slug: parts[0].minutes}
    assert progress.sessions == {slug: 1}
    for item in parts[1:]:
        services.mark_item(item=item, status="done")
    assert services.study_progress(plan).learned == {slug}
    assert services.study_progress(plan).minutes == {}


# --- replan keeps every input, the resolved role included -----------------------------------


def test_replan_keeps_the_role_the_plan_was_made_with(small_kb):
    # llm-research is a research-scientist team; this person interviews as an ML engineer.
    plan = services.create_plan(inputs=inputs(role="ml-engineer"), today=MONDAY)
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    assert services.plan_inputs(plan).role == "ml-engineer"
    assert formats.plan_payload(plan)["role"] == "ml-engineer"
    mocks = set(plan.items.filter(kind="mock").values_list("stage", flat=True))
    assert mocks == {"ml-coding", "ml-concepts"}


def test_a_plan_without_a_role_stores_the_teams_and_keeps_it(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    assert services.plan_inputs(plan).role == "research-scientist"
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    assert services.plan_inputs(plan).role == "research-scientist"


def test_replan_from_the_command_line_keeps_the_role(small_kb, frozen_today):
    get_user_model().objects.create_user("ada")
    run_plan(*BASE_ARGS, "--role", "ml-engineer", "--save", "--user", "ada")
    plan = services.replan(plan=Plan.objects.get(), today=MONDAY + timedelta(days=2))
    assert formats.plan_payload(plan)["role"] == "ml-engineer"
    assert not plan.items.filter(kind="mock", stage="research-talk").exists()


def test_rows_stored_before_the_role_was_an_input_still_load_and_replan(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    # What create_plan used to write: the inputs as given (role None) plus the resolved role.
    old_row = inputs().to_json() | {"role": "ml-engineer"}
    Plan.objects.filter(pk=plan.pk).update(inputs=old_row)
    plan.refresh_from_db()
    assert services.plan_inputs(plan) == inputs(role="ml-engineer")
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    assert services.plan_inputs(plan).role == "ml-engineer"


# Every PlanInputs field, with a value unlike the one `inputs()` gives it.
CHANGED_INPUTS = {
    "interview": MONDAY + timedelta(days=16),
    "timezone": "America/New_York",
    "interview_time": time(14, 30),
    "team": "ads-ranking",
    "tracks": {"nlp": 0.5},
    "targets": ("k-means",),
    "start": MONDAY + timedelta(days=1),
    "hours_per_weekday": (1.5, 1.5, 1.5, 1.5, 1.5, 3.0, 3.0),
    "blackout": (MONDAY + timedelta(days=5),),
    "known": ("linear-algebra",),
    "shaky": ("softmax",),
    "learned": ("tokenization",),
    "refreshed": ("self-attention",),
    "background": "ml-engineer",
    "known_areas": ("math",),
    "shaky_areas": ("fundamentals",),
    "role": "ml-engineer",
    "include_recommended": True,
    "min_session_minutes": 45,
    "study_time": time(7, 15),
}


def test_the_round_trip_test_covers_every_input():
    assert set(CHANGED_INPUTS) == {f.name for f in dataclasses.fields(PlanInputs)}


@pytest.mark.parametrize("name", sorted(CHANGED_INPUTS))
def test_every_input_survives_create_and_replan(small_kb, monkeypatch, name):
    requests = []
    real_build = services.core.build_schedule

    def spy(graph, request):
        requests.append(request)
        return real_build(graph, request)

    monkeypatch.setattr(services.core, "build_schedule", spy)
    given = inputs(**{name: CHANGED_INPUTS[name]})
    plan = services.create_plan(inputs=given, today=MONDAY)
    today = MONDAY + timedelta(days=2)
    plan = services.replan(plan=plan, today=today)

    stored = services.plan_inputs(plan)
    expected = dataclasses.replace(given, start=today)
    if given.role is None:  # the team's, stored as resolved
        team_role = {"llm-research": "research-scientist", "ads-ranking": "ml-engineer"}
        expected = dataclasses.replace(expected, role=team_role[given.team])
    assert getattr(stored, name) == getattr(expected, name)
    assert stored == expected
    made, rebuilt = requests
    same = ("minutes_by_weekday", "relevance", "known", "shaky", "blackout", "mocks",
            "include_recommended", "min_session_minutes", "interview")  # fmt: skip
    for field_name in same:
        assert getattr(rebuilt, field_name) == getattr(made, field_name), field_name


def test_replan_with_new_hours_changes_them_and_keeps_the_rest(small_kb):
    given = inputs(role="ml-engineer", known=("linear-algebra",), study_time=time(6, 0))
    plan = services.create_plan(inputs=given, today=MONDAY)
    hours = (1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0)
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1), hours_per_weekday=hours)
    assert services.plan_inputs(plan) == dataclasses.replace(
        given, start=MONDAY + timedelta(days=1), hours_per_weekday=hours
    )


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        PlanInputs,
        interview=st.dates(),
        timezone=st.sampled_from(["UTC", "Europe/Berlin"]),
        interview_time=st.times(),
        team=st.none() | st.text(min_size=1, max_size=8),
        tracks=st.dictionaries(st.text(max_size=5), st.floats(0.01, 1), max_size=3),
        targets=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        start=st.none() | st.dates(),
        hours_per_weekday=st.lists(st.floats(0, 24), min_size=7, max_size=7).map(tuple),
        blackout=st.lists(st.dates(), max_size=3).map(tuple),
        known=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        shaky=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        background=st.none() | st.text(min_size=1, max_size=8),
        known_areas=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        shaky_areas=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        role=st.none() | st.sampled_from(["ml-engineer", "research-scientist"]),
        include_recommended=st.booleans(),
        min_session_minutes=st.integers(5, 240),
        study_time=st.times(),
    )
)
def test_plan_inputs_survive_a_trip_through_json(given_inputs):
    stored = json.loads(json.dumps(given_inputs.to_json()))
    assert PlanInputs.from_json(stored) == given_inputs


# --- marking while a replan runs ----------------------------------------------------------------


def test_marking_an_item_a_replan_deleted_is_plan_changed_and_writes_nothing(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    stale = plan.items.filter(date=MONDAY + timedelta(days=1), kind="learn").first()
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    before = list(plan.items.values_list("pk", "status", "completed_at"))

    with pytest.raises(services.PlanChanged) as error:
        services.mark_item(item=stale, status="done")

    assert error.value.code == "plan_changed"
    assert error.value.details == {"plan": plan.pk, "item": stale.pk, "revision": 2}
    assert "reload" in error.value.message
    assert list(plan.items.values_list("pk", "status", "completed_at")) == before


def test_a_mark_for_an_older_revision_is_refused_when_the_caller_says_which_it_saw(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    kept = plan.items.filter(date=MONDAY).first()  # before the replan's today: history, kept
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    with pytest.raises(services.PlanChanged, match="you saw revision 1, it is now at revision 2"):
        services.mark_item(item=kept, status="done", revision=1)
    kept.refresh_from_db()
    assert kept.status == "pending"
    marked = services.mark_item(item=kept, status="done", revision=2)
    assert marked.status == "done" and marked.plan.revision == 2


def test_an_id_the_plan_never_had_is_not_found_rather_than_changed(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    other = services.create_plan(inputs=inputs(), today=MONDAY)
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=1))
    for item_id in (other.items.first().pk, 10**12):
        with pytest.raises(services.PlanItemNotFound):
            services.mark_plan_item(plan=plan, item_id=item_id, status="done")


def test_practice_asks_a_question_only_once_its_concepts_are_learned_and_only_once(small_kb):
    payload = formats.preview_payload(*services.preview_plan(inputs(), today=MONDAY))
    learned_on: dict[str, str] = {}
    asked = []
    for day in payload["days"]:
        for item in day["items"]:
            if item["kind"] == "learn":
                learned_on[item["concept"]] = day["date"]
            if item["kind"] == "practice":
                for question in item["questions"]:
                    asked.append(question["slug"])
                    if question["slug"] == "implement-attention":  # softmax and self-attention
                        assert learned_on["self-attention"] <= day["date"]
                        assert learned_on["softmax"] <= day["date"]
    assert "implement-attention" in asked
    assert len(asked) == len(set(asked))


def _a_question_about_bert_and_ppo() -> None:
    """A question that also tests PPO, a concept no track of the team weighs."""
    from kb.models import Concept, InterviewStage, Question

    ppo = Concept.objects.create(slug="ppo", title="PPO", area="rl", hours=2)
    question = Question.objects.create(
        slug="bert-rlhf",
        text="Fine-tune BERT with PPO.",
        stage=InterviewStage.objects.get(slug="ml-concepts"),
    )
    question.concepts.set([ppo, Concept.objects.get(slug="bert")])


def test_practice_never_asks_about_a_concept_the_plan_does_not_touch(small_kb):
    """A question that also tests PPO, which no track of the team weighs and nothing in the
    plan rests on, is never asked, and BERT, with nothing else to ask, gets no practice
    block at all (not minutes of "answer its self-test prompts aloud")."""
    from kb.models import Question

    _a_question_about_bert_and_ppo()
    Question.objects.filter(slug="what-is-bert").delete()
    resolved, schedule = services.preview_plan(inputs(), today=MONDAY)
    assert "bert" in schedule.summary.learned
    for payload in (
        formats.preview_payload(resolved, schedule),
        formats.plan_payload(services.create_plan(inputs=inputs(), today=MONDAY)),
    ):
        practice = [i for d in payload["days"] for i in d["items"] if i["kind"] == "practice"]
        assert [i["concept"] for i in practice] == ["self-attention"]
        assert [q["slug"] for q in practice[0]["questions"]] == ["implement-attention"]
        assert payload["summary"]["practice"] == {"self-attention": ["implement-attention"]}


def test_after_a_replan_the_new_practice_blocks_ask_the_planned_questions(small_kb):
    """Nothing done for three days: the topics are planned again, and their new practice
    blocks ask what the new summary plans; the missed items before the replan keep the
    matching by day and take nothing from them."""
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    old_block = plan.items.get(kind="practice", concept_slug="self-attention").date
    replanned = old_block + timedelta(days=1)  # the block is history, its topic planned again
    plan = services.replan(plan=plan, today=replanned)
    payload = formats.plan_payload(plan)
    planned = payload["summary"]["practice"]
    assert planned
    new_blocks = [
        item
        for day in payload["days"]
        if day["date"] >= replanned.isoformat()
        for item in day["items"]
        if item["kind"] == "practice"
    ]
    assert sorted(item["concept"] for item in new_blocks) == sorted(planned)
    for item in new_blocks:
        assert [q["slug"] for q in item["questions"]] == planned[item["concept"]][:2]
    [missed] = [
        i
        for d in payload["days"]
        if d["date"] == old_block.isoformat()
        for i in d["items"]
        if i["kind"] == "practice"
    ]
    assert missed["questions"] == [] and "self-attention" in planned
    every = [q["slug"] for d in payload["days"] for i in d["items"] for q in i.get("questions", [])]
    assert len(every) == len(set(every))


def test_a_plan_stored_before_practice_was_planned_asks_what_fits_by_its_day(small_kb):
    """A summary without `practice` (plans made before it, or a practice item a replan
    kept): the questions are matched by day, and an item with none says so."""
    from kb.models import Question

    _a_question_about_bert_and_ppo()
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    assert plan.summary["practice"]["bert"] == ["what-is-bert"]
    del plan.summary["practice"]
    plan.save()
    payload = formats.plan_payload(plan)
    [item] = [
        i
        for d in payload["days"]
        for i in d["items"]
        if i["kind"] == "practice" and i["concept"] == "bert"
    ]
    assert [q["slug"] for q in item["questions"]] == ["what-is-bert"]  # not bert-rlhf
    Question.objects.filter(slug="what-is-bert").delete()
    [item] = [
        i
        for d in formats.plan_payload(plan)["days"]
        for i in d["items"]
        if i["kind"] == "practice" and i["concept"] == "bert"
    ]
    assert item["questions"] == [] and item["note"] == formats.NO_QUESTION_NOTE
    text = formats.to_table(formats.plan_payload(plan))
    assert f"Bert ({formats.NO_QUESTION_NOTE})" in text


def test_practice_asks_first_what_the_team_stages_and_tracks_weigh(small_kb):
    """bert's questions: the team's own stage before one it never holds, then by what the
    team's tracks weigh (transformer 0.9 over tokenization 0.5 over nothing else)."""
    from kb.models import Concept, InterviewStage, Question

    def ask(slug: str, stage: str, *concepts: str) -> None:
        question = Question.objects.create(
            slug=slug, text=slug.replace("-", " "), stage=InterviewStage.objects.get(slug=stage)
        )
        question.concepts.set(Concept.objects.filter(slug__in=["bert", *concepts]))

    Question.objects.filter(slug="what-is-bert").delete()
    ask("a-bert-design", "ml-system-design")  # not a stage of llm-research's loop
    ask("b-bert-alone", "ml-concepts")
    ask("c-bert-tokens", "ml-concepts", "tokenization")
    ask("d-bert-transformer", "ml-concepts", "transformer")

    preview = formats.preview_payload(*services.preview_plan(inputs(), today=MONDAY))
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    for payload in (preview, formats.plan_payload(plan)):
        practice = [
            [q["slug"] for q in item["questions"]]
            for day in payload["days"]
            for item in day["items"]
            if item["kind"] == "practice" and item["concept"] == "bert"
        ]
        assert practice[0] == ["d-bert-transformer", "c-bert-tokens"]


def test_without_a_team_a_plan_rehearses_the_stages_its_topics_are_asked_in(small_kb):
    def mocks(**overrides) -> list[str]:
        resolved = services.resolve(inputs(team=None, **overrides), today=MONDAY)
        return [mock.stage for mock in resolved.request.mocks]

    # implement-attention (ML coding) tests self-attention; nothing asks about k-means
    assert mocks(targets=["self-attention"]) == ["ml-coding"]
    assert mocks(targets=["self-attention", "bert"]) == ["ml-coding", "ml-concepts"]
    assert mocks(targets=["k-means"]) == ["ml-concepts"]
    # a team's loop is the team's, whatever its topics
    assert [m.stage for m in services.resolve(inputs(), today=MONDAY).request.mocks] == [
        "ml-coding",
        "ml-concepts",
        "research-talk",
    ]


def test_a_replan_says_what_was_learned_so_far_apart_from_what_the_person_named(small_kb):
    plan = services.create_plan(inputs=inputs(known=("softmax",)), today=MONDAY)
    first = learned(plan)[0]
    for item in plan.items.filter(kind="learn", concept_slug=first):
        services.mark_item(item=item, status="done")
    plan = services.replan(plan=plan, today=MONDAY + timedelta(days=3))
    stored = services.plan_inputs(plan)
    assert stored.known == ("softmax",) and first in stored.learned
    assert "(1 concept named, 1 learned so far)" in plan.summary["assumed"]


def test_a_replan_does_not_refresh_again_what_was_refreshed(small_kb):
    """ml-engineer: self-attention is shaky and gets a refresher; done, it stays done."""
    plan = services.create_plan(inputs=inputs(background="ml-engineer"), today=MONDAY)
    refresher = plan.items.get(kind="review", concept_slug="self-attention", note="shaky: refresh")
    services.mark_item(item=refresher, status="done")
    plan = services.replan(plan=plan, today=refresher.date)
    again = plan.items.filter(kind="review", concept_slug="self-attention", note="shaky: refresh")
    assert list(again.values_list("status", flat=True)) == ["done"]
    stored = services.plan_inputs(plan)
    assert "self-attention" in stored.refreshed and "self-attention" not in stored.learned


def test_the_interview_days_review_ends_before_the_interview_in_the_calendar(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)  # interview 09:00, study 19:00
    payload = formats.plan_payload(plan)
    last = payload["days"][-1]
    assert last["interview_day"] and any(i["kind"] == "review" for i in last["items"])
    events = Calendar.from_ical(
        calendar.to_ics(payload, key=str(plan.uid), stamp=plan.updated_at)
    ).walk("VEVENT")
    interview = next(e for e in events if "interview@" in str(e["UID"]))
    that_day = next(e for e in events if str(e["UID"]).endswith(f"{last['date']}@prepgraph"))
    assert that_day["DTEND"].dt <= interview["DTSTART"].dt - timedelta(hours=1)
    others = [e for e in events if e not in (interview, that_day)]
    assert {e["DTSTART"].dt.time() for e in others} == {time(19, 0)}


def test_a_target_asked_for_by_name_is_learned_though_the_background_calls_it_shaky(small_kb):
    # ml-engineer: self-attention is shaky (a refresher); asked for by name, it is learned.
    plan = services.create_plan(
        inputs=inputs(team=None, targets=("self-attention",), background="ml-engineer"),
        today=MONDAY,
    )
    assert "self-attention" in learned(plan)
    assert not plan.items.filter(concept_slug="self-attention", note="shaky: refresh").exists()
    named = services.create_plan(
        inputs=inputs(
            team=None, targets=("self-attention",), shaky=("self-attention",), background=None
        ),
        today=MONDAY,
    )
    assert "self-attention" not in learned(named)  # the person said shaky: a refresher


def test_a_split_concepts_resources_are_shared_out_over_its_parts():
    found = [{"title": t, "minutes": m} for t, m in (("a", 30), ("b", 60), ("c", 30))]
    shares = [
        [r["title"] for r in formats._resources_for_part(found, {"part": n, "parts": 3})]
        for n in (1, 2, 3)
    ]
    # a: the first quarter of the reading, b: the middle half, c: the last quarter
    assert shares == [["a", "b"], ["b"], ["b", "c"]]
    whole = formats._resources_for_part(found, {"part": None, "parts": None})
    assert whole == found


def test_the_plan_says_its_recall_forecast_per_tier_and_track_in_every_format(small_kb):
    resolved, schedule = services.preview_plan(inputs(), today=MONDAY)
    payload = formats.preview_payload(resolved, schedule)
    recall = payload["summary"]["recall"]
    groups = {(g["kind"], g["name"]): g for g in recall["groups"]}
    assert {kind for kind, _ in groups} == {"tier", "track", "overall"}
    assert groups[("track", "nlp")]["title"] == "NLP"
    overall = groups[("overall", "overall")]
    assert 0 < overall["without_reviews"] < overall["with_plan"] <= 1
    assert overall["concepts"] == len(recall["concepts"]) - sum(
        1 for slug in recall["concepts"] if slug not in resolved.request.relevance
    )
    line = formats.recall_line(payload["summary"])
    assert line.startswith("Recall forecast for the interview morning (the memory model's chance")
    assert "if you do every review this plan holds and rate it Good" in line
    assert f"{overall['with_plan']:.0%} of the {overall['concepts']} topics" in line
    for (kind, name), group in groups.items():
        if kind == "tier" and group["concepts"]:  # a percentage says of how many topics
            assert f"{name} {group['with_plan']:.0%} of {group['concepts']}" in line
    for text in (formats.to_table(payload), formats.to_markdown(payload)):
        assert line in text
        assert f"  NLP: {groups[('track', 'nlp')]['with_plan']:.0%}" in text


def test_a_previewed_calendar_is_stamped_with_its_first_day_not_the_interview(small_kb):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "plan", "--team", "llm-research", "--interview", "2026-12-14", "--start", "2026-11-30",
        "--format", "ics", stdout=out,
    )  # fmt: skip
    stamps = {line for line in out.getvalue().splitlines() if line.startswith("DTSTAMP")}
    assert stamps == {"DTSTAMP:20261130T000000Z"}


def test_a_replan_keeps_reviewing_what_the_plan_taught_even_unrated(small_kb):
    plan = services.create_plan(inputs=inputs(), today=MONDAY)
    first = learned(plan)[0]
    sessions = plan.items.filter(kind="learn", concept_slug=first)
    for item in sessions:
        services.mark_item(item=item, status="done")
    finished = max(sessions.values_list("date", flat=True))
    plan = services.replan(plan=plan, today=finished + timedelta(days=1))
    assert first in services.plan_inputs(plan).learned  # known now, not learned again
    reviews = plan.items.filter(
        kind="review", concept_slug=first, status="pending", date__gt=finished
    )
    assert reviews.exists()
    # Taken as rated Good when it was finished (FSRS-6: due 2 days later), as first planned.
    first_review = min(reviews.exclude(note="light").values_list("date", flat=True))
    assert first_review >= finished + timedelta(days=1)
    assert first in plan.summary["recall"]["concepts"]
