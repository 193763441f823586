"""Following a saved plan from the command line: show_plan, mark, replan.

Plans on the small test KB, made on a fixed Monday with "today" frozen, so the
answers are known. Each bad input names its flag and leaves every row as it was.
"""

import json
import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class
from rest_framework.test import APIClient

from planner import formats, selectors, services
from planner.models import Plan, PlanItem
from planner.selection import hours_text
from planner.services import PlanInputs

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)
TZ = "Europe/Berlin"
CONTRACT = {
    "id", "title", "team", "team_name", "role", "timezone", "interview", "interview_at",
    "study_time", "start", "revision", "archived_at", "days", "summary",
}  # fmt: skip
DAY_KEYS = {"date", "available_minutes", "blackout", "interview_day", "items"}
ITEM_KEYS = {"id", "kind", "concept", "title", "minutes", "stage", "part", "parts", "note",
             "status"}  # fmt: skip
ROW = re.compile(r"^  \[([ x-])\] #(\d+) +(\w+) +(.*?) +(\d+h\d\d|\d+ min)$")


class Clock:
    today = MONDAY


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """'Today' in any time zone, for the commands and the services they call."""
    clock = Clock()
    monkeypatch.setattr(services, "local_today", lambda tz: clock.today)
    return clock


def make(user, *, days: int = 12) -> Plan:
    inputs = PlanInputs(
        team="llm-research",
        interview=MONDAY + timedelta(days=days),
        start=MONDAY,
        timezone=TZ,
        hours_per_weekday=(2,) * 7,
    )
    return services.create_plan(owner=user, inputs=inputs, today=MONDAY)


@pytest.fixture
def mine(small_kb, ada, clock) -> Plan:
    return make(ada)


@pytest.fixture
def theirs(small_kb, eve, clock) -> Plan:
    return make(eve)


def run(name: str, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(name: str, *args) -> str:
    with pytest.raises(CommandError) as raised:
        run(name, *args)
    return str(raised.value)


def rows() -> list[tuple]:
    """Every item of every plan, as stored: what a refused command must leave alone."""
    return list(
        PlanItem.objects.order_by("pk").values_list("pk", "plan_id", "date", "status", "minutes")
    )


def work(plan: Plan, day: date) -> list[PlanItem]:
    """The day's items that are work (not buffers), in order."""
    return list(plan.items.filter(date=day).exclude(kind="buffer").order_by("order"))


def listed(text: str) -> dict[int, tuple[str, str, str]]:
    """Item id -> (box, kind, label) from a show_plan table."""
    found = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            box, item_id, kind, label, _ = match.groups()
            found[int(item_id)] = (box, kind, label)
    return found


# --- show_plan ---------------------------------------------------------------------------------


def test_show_plan_lists_every_item_with_its_id_and_status(mine):
    out, _ = run("show_plan", "--plan", mine.pk, "--user", "ada")
    lines = out.splitlines()
    title = "LLM research interview on 2026-12-12"
    assert lines[0] == f"Plan {mine.pk}, revision 1: {title} (12 days left)"
    total = sum(mine.items.exclude(kind="buffer").values_list("minutes", flat=True))
    assert lines[1] == f"Progress: 0 of {hours_text(total)} done (0%), on track"
    assert f"manage.py mark --plan {mine.pk} --user ada --item ID[,ID...]" in lines[2]
    assert "Mon 30 Nov  (2h00 available)" in out
    shown = listed(out)
    assert set(shown) == set(mine.items.values_list("pk", flat=True))  # every item, once
    first = mine.items.order_by("date", "order").first()
    assert shown[first.pk] == (" ", "learn", "Linear algebra (part 1/2)")
    assert all(box == " " for box, _, _ in shown.values())


def test_show_plan_json_is_the_api_payload_with_the_progress(mine):
    out, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--format", "json")
    payload = json.loads(out)
    assert set(payload) >= CONTRACT
    progress = payload.pop("progress")
    api = APIClient()
    api.force_authenticate(mine.owner)
    assert payload == api.get(f"/api/v1/plans/{mine.pk}/").json()
    assert payload == json.loads(json.dumps(formats.plan_payload(mine)))
    for day in payload["days"]:
        assert set(day) == DAY_KEYS
        for item in day["items"]:
            assert set(item) >= ITEM_KEYS and isinstance(item["id"], int)
            assert item["status"] == "pending"
    assert progress["done_minutes"] == 0 and progress["today"] == "2026-11-30"
    assert progress["days_left"] == 12


def test_show_plan_day_today_shows_that_day_and_its_progress(mine, clock):
    first_day = [item.pk for item in mine.items.filter(date=MONDAY).order_by("order")]
    out, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--day", "today")
    assert set(listed(out)) == set(first_day)
    assert "Mon 30 Nov  (2h00 available)" in out and "Tue 01 Dec" not in out
    planned = sum(item.minutes for item in work(mine, MONDAY))
    assert f"Day's work today: 0 of {hours_text(planned)} done (buffers not counted)" in out
    assert planned == 90  # known answer: part 1 of linear algebra, 1 h 30

    # The next day, by date and as "today" once the clock has moved on.
    tuesday = MONDAY + timedelta(days=1)
    by_date, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--day", tuesday)
    clock.today = tuesday
    as_today, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--day", "today")
    assert listed(by_date) == listed(as_today)
    on_tuesday = mine.items.filter(date=tuesday).values_list("pk", flat=True)
    assert set(listed(as_today)) == set(on_tuesday)


def test_show_plan_day_json_keeps_the_contract(mine):
    out, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--day", "today",
                 "--format", "json")  # fmt: skip
    payload = json.loads(out)
    assert set(payload) >= CONTRACT
    [day] = payload["days"]
    assert day["date"] == "2026-11-30" and set(day) == DAY_KEYS
    assert [item["id"] for item in day["items"]] == list(
        mine.items.filter(date=MONDAY).order_by("order").values_list("pk", flat=True)
    )
    assert payload["progress"]["day"] == {
        "date": "2026-11-30", "planned_minutes": 90, "done_minutes": 0
    }  # fmt: skip


def test_show_plan_markdown_and_output_file(mine, tmp_path):
    out, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--format", "markdown")
    first = mine.items.order_by("date", "order").first()
    assert out.startswith("# Plan for llm-research (research-scientist)")
    assert f"- [ ] `#{first.pk}` **learn** Linear algebra (part 1/2): 1h30" in out
    target = tmp_path / "plan.ics"
    out, err = run("show_plan", "--plan", mine.pk, "--user", "ada", "--format", "ics",
                   "--output", target)  # fmt: skip
    assert out == "" and f"Wrote plan {mine.pk} (ics) to {target}" in err
    assert target.read_text().startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "someday"], "--day: 'someday' is not a date"),
        (["--day", "2027-01-05"], "--day: 2027-01-05 is not a day of plan {pk} "
                                  "(2026-11-30 to 2026-12-12)"),
        (["--day", "today", "--format", "ics"], "--day: a calendar (--format ics)"),
        (["--user", "nobody"], "--user: no user 'nobody'"),
    ],
)  # fmt: skip
def test_show_plan_bad_input_names_its_flag(mine, args, message):
    options = {"--plan": str(mine.pk), "--user": "ada"}
    options.update(zip(args[::2], args[1::2], strict=True))
    argv = [part for pair in options.items() for part in pair]
    assert refused("show_plan", *argv).startswith(message.format(pk=mine.pk))


def test_nobody_sees_another_users_plan_nor_learns_that_it_exists(mine, theirs):
    absent = Plan.objects.order_by("-pk").first().pk + 1
    for command, extra in [
        ("show_plan", []),
        ("mark", ["--item", mine.items.first().pk, "--status", "done"]),
        ("replan", []),
    ]:
        other = refused(command, "--plan", theirs.pk, "--user", "ada", *extra)
        none = refused(command, "--plan", absent, "--user", "ada", *extra)
        assert other == f"--plan: ada has no plan {theirs.pk}"
        assert none == f"--plan: ada has no plan {absent}"
    assert refused("show_plan", "--plan", "12a", "--user", "ada").startswith(
        "--plan: '12a' is not a plan id"
    )


# --- mark --------------------------------------------------------------------------------------


def test_mark_two_items_done_changes_status_and_progress(mine):
    first, second = work(mine, MONDAY)[0], work(mine, MONDAY + timedelta(days=1))[0]
    out, _ = run("mark", "--plan", mine.pk, "--user", "ada",
                 "--item", f"{first.pk},{second.pk}", "--status", "done")  # fmt: skip
    for item in (first, second):
        item.refresh_from_db()
        assert item.status == "done" and item.completed_at is not None
    assert mine.items.filter(status="done").count() == 2
    lines = out.splitlines()
    assert lines[0] == "Marked 2 items done:"
    assert lines[1].startswith(f"  Mon 30 Nov  [x] #{first.pk} ")
    assert "Linear algebra (part 1/2)" in lines[1] and lines[1].endswith("1h30  (was pending)")
    assert lines[2].startswith(f"  Tue 01 Dec  [x] #{second.pk} ")
    assert "Linear algebra (part 2/2)" in lines[2]
    # The plan page's progress, read after the marks: 2 h of linear algebra done.
    measured = selectors.plan_progress(mine)
    assert measured.done == 120
    assert lines[3] == (f"Plan {mine.pk}, revision 1: {measured.text}; today 1 h 30 of 1 h 30 done")
    assert lines[3].startswith(f"Plan {mine.pk}, revision 1: 2 h of ")
    assert "--concept linear-algebra --rating again|hard|good|easy" in lines[4]
    # show_plan shows the new statuses; the API reads the same.
    shown = listed(run("show_plan", "--plan", mine.pk, "--user", "ada")[0])
    assert shown[first.pk][0] == shown[second.pk][0] == "x"
    assert sum(box == "x" for box, _, _ in shown.values()) == 2


def test_mark_skipped_and_back_to_pending(mine):
    item = work(mine, MONDAY)[0]
    out, _ = run("mark", "--plan", mine.pk, "--user", "ada", "--item", item.pk,
                 "--status", "skipped")  # fmt: skip
    assert out.startswith("Marked 1 item skipped:")
    item.refresh_from_db()
    assert item.status == "skipped"
    shown, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--day", "today")
    assert listed(shown)[item.pk][0] == "-"
    markdown, _ = run("show_plan", "--plan", mine.pk, "--user", "ada", "--format", "markdown")
    assert f"`#{item.pk}` **learn** Linear algebra (part 1/2): 1h30 (skipped)" in markdown
    out, _ = run("mark", "--plan", mine.pk, "--user", "ada", "--item", item.pk,
                 "--status", "pending")  # fmt: skip
    assert "(was skipped)" in out
    item.refresh_from_db()
    assert item.status == "pending" and item.completed_at is None


def test_marking_an_item_of_someone_elses_plan_fails_and_changes_nothing(mine, theirs):
    before = rows()
    foreign = theirs.items.first().pk
    message = refused("mark", "--plan", mine.pk, "--user", "ada", "--item", foreign,
                      "--status", "done")  # fmt: skip
    assert message == f"--item: plan {mine.pk} has no item {foreign}; nothing was marked"
    # Nor through their plan's id: that plan is not ada's.
    message = refused("mark", "--plan", theirs.pk, "--user", "ada", "--item", foreign,
                      "--status", "done")  # fmt: skip
    assert message == f"--plan: ada has no plan {theirs.pk}"
    assert rows() == before


def test_marking_a_nonexistent_item_fails_and_changes_nothing(mine):
    before = rows()
    absent = PlanItem.objects.order_by("-pk").first().pk + 1
    message = refused("mark", "--plan", mine.pk, "--user", "ada", "--item", absent,
                      "--status", "done")  # fmt: skip
    assert message == f"--item: plan {mine.pk} has no item {absent}; nothing was marked"
    assert rows() == before


def test_mark_is_all_or_nothing(mine, theirs):
    good = [item.pk for item in work(mine, MONDAY + timedelta(days=1))[:2]]
    absent = PlanItem.objects.order_by("-pk").first().pk + 1
    foreign = theirs.items.first().pk
    before = rows()
    message = refused("mark", "--plan", mine.pk, "--user", "ada",
                      "--item", f"{good[0]},{absent},{good[1]},{foreign}",
                      "--status", "done")  # fmt: skip
    assert message == (
        f"--item: plan {mine.pk} has no item {absent}, {foreign}; nothing was marked"
    )
    assert rows() == before
    assert not mine.items.filter(pk__in=good).exclude(status="pending").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "finished"], "--status: 'finished' is not one of done, skipped, pending"),
        (["--item", "abc"], "--item: 'abc' is not an item id"),
        (["--item", ","], "--item: give the ids of the items to mark"),
        (["--revision", "x"], "--revision: 'x' is not a revision number"),
        (["--revision", "2"], "--revision: plan {pk} changed since you read it (you saw "
                              "revision 2, it is now at revision 1)"),
        (["--user", "nobody"], "--user: no user 'nobody'"),
    ],
)  # fmt: skip
def test_mark_bad_input_names_its_flag_and_changes_nothing(mine, args, message):
    options = {"--plan": str(mine.pk), "--user": "ada", "--status": "done",
               "--item": str(work(mine, MONDAY)[0].pk)}  # fmt: skip
    options.update(zip(args[::2], args[1::2], strict=True))
    before = rows()
    argv = [part for pair in options.items() for part in pair]
    assert refused("mark", *argv).startswith(message.format(pk=mine.pk))
    assert rows() == before


def test_a_refused_mark_exits_non_zero_on_the_command_line(mine, capsys, monkeypatch):
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's db
    command = load_command_class("planner", "mark")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "mark", "--plan", str(mine.pk), "--user", "ada",
                               "--item", "0", "--status", "done"])  # fmt: skip
    assert exited.value.code == 1
    assert f"--item: plan {mine.pk} has no item 0" in capsys.readouterr().err


# --- replan ------------------------------------------------------------------------------------


def test_replan_with_a_new_interview_reschedules_what_is_left_and_keeps_what_is_done(mine, clock):
    done = [item.pk for item in mine.items.filter(date=MONDAY)]
    run("mark", "--plan", mine.pk, "--user", "ada", "--item", ",".join(map(str, done)),
        "--status", "done")  # fmt: skip
    before = {item.pk: item for item in mine.items.all()}
    clock.today = today = MONDAY + timedelta(days=2)  # Tuesday missed
    interview = MONDAY + timedelta(days=15)
    out, _ = run("replan", "--plan", mine.pk, "--user", "ada", "--interview", interview)
    mine.refresh_from_db()
    assert mine.revision == 2
    assert services.plan_inputs(mine).interview == interview
    assert services.plan_inputs(mine).start == today
    after = {item.pk: item for item in mine.items.all()}
    # Done items are kept, as they were.
    assert all(after[pk].status == "done" and after[pk].date == MONDAY for pk in done)
    # Before today, the rest stays as history (Tuesday's items, missed).
    tuesday = [pk for pk, item in before.items() if item.date == MONDAY + timedelta(days=1)]
    assert tuesday and all(after[pk].status == "pending" for pk in tuesday)
    # From today on, everything is new: rescheduled up to the new interview.
    ahead = [item for item in after.values() if item.date >= today]
    assert ahead and all(item.pk not in before for item in ahead)
    assert max(item.date for item in ahead) == interview
    assert {item.status for item in ahead} == {"pending"}
    # The new plan as show_plan prints it, then what moved.
    assert out.startswith(f"Plan {mine.pk}, revision 2: ")
    assert set(listed(out)) == set(after)
    old_ahead = [i for i in before.values() if i.date >= today and i.kind != "buffer"]
    new_ahead = [i for i in ahead if i.kind != "buffer"]
    missed = [before[pk] for pk in tuesday if before[pk].kind != "buffer"]
    kept = sum(before[pk].minutes for pk in done)

    def items(found):
        return f"{len(found)} items ({hours_text(sum(i.minutes for i in found))})"

    assert out.splitlines()[-1] == (
        f"Replanned plan {mine.pk} from Wed 02 Dec (revision 1 -> 2): {items(old_ahead)} "
        f"not done from today on rescheduled as {items(new_ahead)} with new ids, the last on "
        f"Tue 15 Dec; kept {len(done)} items ({hours_text(kept)}) marked done; "
        f"{items(missed)} missed before today stay as history; interview 2026-12-15 "
        "(was 2026-12-12)."
    )


def test_replan_does_what_the_api_replan_does(small_kb, ada, clock):
    by_cli, by_api = make(ada), make(ada)
    for plan in (by_cli, by_api):
        first = work(plan, MONDAY)[0]
        services.mark_plan_item(plan=plan, item_id=first.pk, status="done")
    clock.today = MONDAY + timedelta(days=1)
    run("replan", "--plan", by_cli.pk, "--user", "ada", "--interview", "2026-12-16",
        "--hours", "weekdays=1,weekends=3", "--blackout", "2026-12-05")  # fmt: skip
    api = APIClient()
    api.force_authenticate(ada)
    answer = api.post(
        f"/api/v1/plans/{by_api.pk}/replan/",
        {"interview": "2026-12-16", "hours": "weekdays=1,weekends=3", "blackout": ["2026-12-05"]},
        format="json",
    )
    assert answer.status_code == 200, answer.content

    def schedule(plan):
        plan.refresh_from_db()
        items = plan.items.order_by("date", "order").values_list(
            "date", "kind", "concept_slug", "minutes", "status", "note"
        )
        return list(items), plan.revision, plan.inputs, plan.summary

    assert schedule(by_cli) == schedule(by_api)


def test_replan_json_is_the_contract_and_what_moved_goes_to_stderr(mine, clock):
    clock.today = MONDAY + timedelta(days=1)
    out, err = run("replan", "--plan", mine.pk, "--user", "ada", "--format", "json")
    payload = json.loads(out)
    assert set(payload) >= CONTRACT and payload["revision"] == 2
    assert payload["start"] == "2026-11-30" and payload["interview"] == "2026-12-12"
    assert err.startswith(f"Replanned plan {mine.pk} from Tue 01 Dec (revision 1 -> 2)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interview", "2026-11-01"], "--interview: 2026-11-01 is in the past"),
        (["--interview", "2028-01-01"], "--interview: at most 366 days ahead"),
        (["--interview", "soon"], "--interview: 'soon' is not a date (YYYY-MM-DD)"),
        (["--hours", "two"], "--hours: every day: 'two' is not a number of hours"),
        (["--hours", "1,2"], "--hours: give 1 or 7 numbers"),
        (["--blackout", "2026-13-01"], "--blackout: '2026-13-01' is not a date"),
        (["--blackout", "2020-01-01"], "--blackout: 2020-01-01 is too far from today"),
        (["--user", "nobody"], "--user: no user 'nobody'"),
    ],
)  # fmt: skip
def test_replan_bad_input_names_its_flag_and_changes_nothing(mine, args, message):
    options = {"--plan": str(mine.pk), "--user": "ada"}
    options.update(zip(args[::2], args[1::2], strict=True))
    before, revision = rows(), mine.revision
    argv = [part for pair in options.items() for part in pair]
    assert refused("replan", *argv).startswith(message)
    mine.refresh_from_db()
    assert rows() == before and mine.revision == revision


def test_every_command_explains_itself(small_kb):
    for name, words in [
        ("show_plan", ["--day", "today", "--format", "item's id"]),
        ("mark", ["--item", "--status", "All or nothing", "--revision"]),
        ("replan", ["--interview", "--hours", "--blackout", "marked done is kept"]),
    ]:
        text = load_command_class("planner", name).create_parser("manage.py", name).format_help()
        text = " ".join(text.split())
        for word in words:
            assert word in text, (name, word)
