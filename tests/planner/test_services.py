import json
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from icalendar import Calendar

from kb.errors import UnknownConcept
from planner import calendar, formats, services
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
    assert resolved.request.question_counts == {
        "self-attention": 1,
        "softmax": 1,
        "bert": 1,
        "transformer": 1,
    }


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
    assert plan.summary["warnings"][0].startswith(f"{len(plan.summary['cut'])} of ")
    assert all(c["reason"] for c in plan.summary["cut"])


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
    first_day = list(plan.items.filter(date=MONDAY))
    for item in first_day:
        services.mark_item(item=item, status="done")
    done_concepts = services.learned_concepts(plan)
    assert done_concepts  # at least one concept finished on the first day
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
    assert practice and practice[0]["questions"]


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
