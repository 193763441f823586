import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from icalendar import Calendar
from rest_framework.test import APIClient

from planner import services
from planner.models import Plan, PlanItem
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"
TZ = "Europe/Berlin"


def day(offset: int) -> str:
    return (services.local_today(TZ) + timedelta(days=offset)).isoformat()


def plan_body(**overrides) -> dict:
    return {
        "team": "llm-research",
        "interview": day(21),
        "hours_per_weekday": [2, 2, 2, 2, 2, 4, 4],
        "timezone": TZ,
        "known": ["softmax"],
        **overrides,
    }


@pytest.fixture
def plan(small_kb, client_alice) -> dict:
    response = client_alice.post(URL, plan_body(), format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- creating ---------------------------------------------------------------------------------


def test_creating_a_plan_answers_201_with_its_id_and_the_planner_contract(plan, alice):
    stored = Plan.objects.get(pk=plan["id"])
    assert stored.owner == alice
    assert plan["team"] == "llm-research"
    assert plan["timezone"] == TZ
    assert plan["interview"] == day(21)
    assert plan["start"] == day(0)
    assert len(plan["days"]) == 22
    assert set(plan["summary"]) >= {"coverage", "learned", "cut", "warnings", "longest_chain"}
    assert "softmax" not in plan["summary"]["learned"]
    learn = next(i for d in plan["days"] for i in d["items"] if i["kind"] == "learn")
    assert learn["id"] == stored.items.order_by("date", "order").first().pk
    assert learn["status"] == "pending"
    assert "resources" in learn


@pytest.mark.parametrize(
    "overrides",
    [{}, {"shaky": ["softmax"], "interview": day(9), "blackout": [day(2)]}],
    ids=["three weeks", "shaky, short, a blackout"],
)
def test_the_201_answer_is_what_reading_the_plan_back_gives(small_kb, client_alice, overrides):
    """The answer is built from what was written, not read back: it must be the same."""
    created = client_alice.post(URL, plan_body(**overrides), format="json")
    assert created.status_code == 201, created.content
    answer = created.json()
    kinds = {item["kind"] for d in answer["days"] for item in d["items"]}
    assert {"learn", "review", "mock"} <= kinds
    assert answer == client_alice.get(f"{URL}{answer['id']}/").json()


def test_all_the_planner_inputs_are_accepted(small_kb, client_alice):
    body = {
        "tracks": {"nlp": 1, "ml-fundamentals": 0.5},
        "targets": ["k-means"],
        "interview": day(14),
        "interview_time": "14:30",
        "timezone": TZ,
        "start": day(1),
        "hours": "weekdays=1.5,weekends=3",
        "blackout": [day(2), day(3)],
        "known": ["linear-algebra"],
        "shaky": ["softmax"],
        "role": "ml-engineer",
        "include_recommended": True,
        "min_session_minutes": 20,
        "study_time": "07:15",
    }
    response = client_alice.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["role"] == "ml-engineer"
    assert plan["study_time"] == "07:15"
    assert plan["interview_at"].startswith(f"{day(14)}T14:30:00+")
    assert plan["start"] == day(1)
    blackout = {d["date"]: d for d in plan["days"]}
    assert blackout[day(2)]["blackout"] is True
    assert blackout[day(2)]["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interview": "2026-13-45"}, "interview"),
        ({"interview": "next friday"}, "interview"),
        ({"interview": "2020-01-01"}, "interview"),
        ({"interview": None}, "interview"),
        ({"team": "ghost"}, "team"),
        ({"team": None}, "team"),
        ({"known": ["ghost"]}, "known"),
        ({"targets": ["ghost"]}, "targets"),
        ({"tracks": {"ghost": 1}}, "tracks"),
        ({"tracks": {"nlp": 2}}, "tracks"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"hours_per_weekday": [2, 2, 2]}, "hours_per_weekday"),
        ({"hours_per_weekday": [25, 2, 2, 2, 2, 2, 2]}, "hours_per_weekday"),
        ({"hours_per_weekday": [0, 0, 0, 0, 0, 0, 0]}, "hours"),
        ({"hours": "weekdays=two"}, "hours"),
        ({"hours": "2"}, "hours"),
        ({"role": "manager"}, "role"),
        ({"start": day(-3)}, "start"),
        ({"interview_time": "9am"}, "interview_time"),
        ({"min_session_minutes": 1}, "min_session_minutes"),
        ({"include_recommended": "yes"}, "include_recommended"),
    ],
)
def test_bad_plan_input_is_a_400_naming_the_field(small_kb, client_alice, change, field):
    response = client_alice.post(URL, plan_body(**change), format="json")
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["details"]["field"] == field
    assert field in error["message"]
    assert not Plan.objects.exists()


def test_an_interview_in_the_past_says_so(small_kb, client_alice):
    response = client_alice.post(URL, plan_body(interview=day(-1)), format="json")
    error = error_of(response)
    assert error["code"] == "invalid_plan_request"
    assert error["message"] == f"interview: {day(-1)} is in the past"


def test_an_interview_more_than_a_year_ahead_is_refused(small_kb, client_alice):
    response = client_alice.post(URL, plan_body(interview=day(400)), format="json")
    assert response.status_code == 400
    assert "At most 366 days ahead" in error_of(response)["message"]


def test_anonymous_users_cannot_plan(small_kb, anon):
    response = anon.post(URL, plan_body(), format="json")
    assert response.status_code == 401
    assert anon.get(URL).status_code == 401


# --- reading ----------------------------------------------------------------------------------


def test_users_list_only_their_own_plans(plan, client_alice, client_bob):
    rows = client_alice.get(URL).json()["results"]
    assert [row["id"] for row in rows] == [plan["id"]]
    assert rows[0]["coverage"] == plan["summary"]["coverage"]
    assert rows[0]["interview"] == day(21)
    assert client_bob.get(URL).json()["results"] == []


def test_plan_detail_has_days_and_items(plan, client_alice):
    response = client_alice.get(f"{URL}{plan['id']}/")
    assert response.status_code == 200
    assert response.json()["days"] == plan["days"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("delete", ""),
        ("get", "calendar.ics"),
        ("get", "feed/"),
        ("post", "feed/rotate/"),
        ("post", "replan/"),
    ],
)
def test_another_users_plan_is_a_404(plan, client_bob, method, suffix):
    response = getattr(client_bob, method)(f"{URL}{plan['id']}/{suffix}", format="json")
    assert response.status_code == 404
    assert error_of(response)["message"] == f"no plan '{plan['id']}'"
    assert Plan.objects.filter(pk=plan["id"]).exists()


# --- progress and changes ---------------------------------------------------------------------


def first_item(plan: dict) -> dict:
    return next(i for d in plan["days"] for i in d["items"] if i["kind"] == "learn")


def test_marking_an_item_done_stores_it(plan, client_alice):
    item = first_item(plan)
    url = f"{URL}{plan['id']}/items/{item['id']}/"
    response = client_alice.patch(url, {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response.json()["completed_at"] is not None
    stored = PlanItem.objects.get(pk=item["id"])
    assert stored.status == "done"
    response = client_alice.patch(url, {"status": "pending"}, format="json")
    assert response.json()["completed_at"] is None


def test_a_bad_status_is_a_400(plan, client_alice):
    url = f"{URL}{plan['id']}/items/{first_item(plan)['id']}/"
    response = client_alice.patch(url, {"status": "finished"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == "status"


def test_an_item_of_another_users_plan_is_a_404(plan, client_bob, client_alice):
    item = first_item(plan)
    response = client_bob.patch(
        f"{URL}{plan['id']}/items/{item['id']}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404
    bob_plan = client_bob.post(URL, plan_body(), format="json").json()
    # Bob's own plan id with Alice's item id: the item must belong to the plan in the URL.
    response = client_bob.patch(
        f"{URL}{bob_plan['id']}/items/{item['id']}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404
    assert PlanItem.objects.get(pk=item["id"]).status == "pending"


def test_replanning_keeps_what_is_done_and_bumps_the_revision(plan, client_alice):
    item = first_item(plan)
    client_alice.patch(f"{URL}{plan['id']}/items/{item['id']}/", {"status": "done"})
    response = client_alice.post(
        f"{URL}{plan['id']}/replan/",
        {"interview": day(28), "hours_per_weekday": [1, 1, 1, 1, 1, 3, 3]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    replanned = response.json()
    assert replanned["revision"] == 2
    assert replanned["interview"] == day(28)
    statuses = {i["id"]: i["status"] for d in replanned["days"] for i in d["items"]}
    assert statuses[item["id"]] == "done"


def test_replanning_keeps_the_role_the_plan_was_made_with(small_kb, client_alice):
    # llm-research is a research-scientist team; this person interviews as an ML engineer.
    made = client_alice.post(URL, plan_body(role="ml-engineer"), format="json").json()
    response = client_alice.post(f"{URL}{made['id']}/replan/", {"hours": "3"}, format="json")
    assert response.status_code == 200, response.json()
    replanned = response.json()
    assert made["role"] == replanned["role"] == "ml-engineer"
    stages = {i["stage"] for d in replanned["days"] for i in d["items"] if i["kind"] == "mock"}
    assert "research-talk" not in stages
    assert services.plan_inputs(Plan.objects.get(pk=made["id"])).hours_per_weekday == (3.0,) * 7


def test_replanning_with_an_empty_body_rebuilds_from_today(plan, client_alice):
    response = client_alice.post(f"{URL}{plan['id']}/replan/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["start"] == day(0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interview": day(-2)}, "interview"),
        ({"interview": "soon"}, "interview"),
        ({"hours_per_weekday": [1]}, "hours_per_weekday"),
        ({"hours": "1", "hours_per_weekday": [1] * 7}, "hours"),
        ({"blackout": ["someday"]}, "blackout"),
    ],
)
def test_a_bad_replan_is_a_400_naming_the_field(plan, client_alice, body, field):
    response = client_alice.post(f"{URL}{plan['id']}/replan/", body, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == field
    assert Plan.objects.get(pk=plan["id"]).revision == 1


def item_url(plan: dict, item_id: int) -> str:
    return f"{URL}{plan['id']}/items/{item_id}/"


def test_marking_an_item_a_replan_deleted_is_a_409_and_changes_nothing(plan, client_alice):
    item = first_item(plan)  # today's, pending: a replan from today deletes and recreates it
    assert client_alice.post(f"{URL}{plan['id']}/replan/", {}, format="json").status_code == 200
    before = list(PlanItem.objects.values_list("pk", "status"))

    response = client_alice.patch(item_url(plan, item["id"]), {"status": "done"}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "plan_changed"
    assert "reload" in error["message"]
    assert error["details"] == {"plan": plan["id"], "item": item["id"], "revision": 2}
    assert list(PlanItem.objects.values_list("pk", "status")) == before


def test_a_mark_for_the_revision_the_client_saw_lands_and_an_older_one_is_a_409(plan, client_alice):
    item = first_item(plan)
    url = item_url(plan, item["id"])
    response = client_alice.patch(url, {"status": "done", "revision": 1}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 1
    client_alice.post(f"{URL}{plan['id']}/replan/", {}, format="json")  # keeps the done item

    response = client_alice.patch(url, {"status": "pending", "revision": 1}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "plan_changed"
    assert PlanItem.objects.get(pk=item["id"]).status == "done"
    response = client_alice.patch(url, {"status": "pending", "revision": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["revision"] == 2 and response.json()["status"] == "pending"


def test_an_item_id_the_plan_never_had_is_still_a_404_after_a_replan(plan, client_alice):
    client_alice.post(f"{URL}{plan['id']}/replan/", {}, format="json")
    response = client_alice.patch(item_url(plan, 10**15), {"status": "done"}, format="json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_marks_racing_a_replan_land_on_the_new_revision_or_are_a_409(small_kb, alice):
    """Marks and a replan of the same plan at once, each on its own connection.

    Without the plan lock some marks updated rows the replan had just deleted
    (a 500) or were recreated as pending (lost). Now each either lands (and is
    done afterwards) or is refused with plan_changed.
    """
    owner = APIClient()
    owner.force_authenticate(alice)
    plan = owner.post(URL, plan_body(), format="json").json()
    ids = [i["id"] for d in plan["days"] for i in d["items"]][:40]
    barrier = threading.Barrier(len(ids) + 1)
    marks: dict[int, tuple[int, dict]] = {}
    replans: list[int] = []
    crashes: list[BaseException] = []

    def run(call, delay: float) -> None:
        client = APIClient()
        client.force_authenticate(alice)
        barrier.wait()
        time.sleep(delay)  # spread the marks over the replan's run
        try:
            call(client)
        except BaseException as exc:  # a 500 raises in the test client
            crashes.append(exc)
        finally:
            connection.close()

    def mark(item_id: int):
        def call(client: APIClient) -> None:
            response = client.patch(item_url(plan, item_id), {"status": "done"}, format="json")
            marks[item_id] = (response.status_code, response.json())

        return call

    def replan(client: APIClient) -> None:
        replans.append(client.post(f"{URL}{plan['id']}/replan/", {}, format="json").status_code)

    threads = [threading.Thread(target=run, args=(replan, 0.02))]
    threads += [
        threading.Thread(target=run, args=(mark(item_id), 0.005 * (n % 20)))
        for n, item_id in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert crashes == []
    assert replans == [200]
    assert len(marks) == len(ids)
    for item_id, (status_code, body) in marks.items():
        if status_code == 200:
            assert PlanItem.objects.get(pk=item_id).status == "done", item_id
        else:
            assert status_code == 409, body
            assert body["error"]["code"] == "plan_changed"
            assert not PlanItem.objects.filter(pk=item_id).exists()
    assert Plan.objects.get(pk=plan["id"]).revision == 2


def test_deleting_a_plan_removes_it(plan, client_alice):
    assert client_alice.delete(f"{URL}{plan['id']}/").status_code == 204
    assert not Plan.objects.filter(pk=plan["id"]).exists()
    assert client_alice.get(f"{URL}{plan['id']}/").status_code == 404


# --- calendar ---------------------------------------------------------------------------------


def test_the_calendar_is_an_ics_file(plan, client_alice):
    response = client_alice.get(f"{URL}{plan['id']}/calendar.ics", HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    uid = str(Plan.objects.get(pk=plan["id"]).uid)
    events = [c for c in calendar.walk("VEVENT")]
    assert events
    assert all(str(e["UID"]).startswith(uid) or "interview" in str(e["UID"]) for e in events)


def test_the_feed_url_works_without_a_session_until_rotated(plan, client_alice, anon):
    url = client_alice.get(f"{URL}{plan['id']}/feed/").json()["url"]
    token = Plan.objects.get(pk=plan["id"]).feed_token
    assert url == f"http://testserver/api/v1/feeds/{token}.ics"
    path = url.removeprefix("http://testserver")
    response = anon.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VCALENDAR" in response.content

    new_url = client_alice.post(f"{URL}{plan['id']}/feed/rotate/").json()["url"]
    assert new_url != url
    response = anon.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert anon.get(new_url.removeprefix("http://testserver")).status_code == 200


def test_an_unknown_feed_token_is_a_404(small_kb, anon):
    assert anon.get("/api/v1/feeds/not-a-token.ics").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "{plan}/items/{huge}/",
        "{huge}/items/1/",
        "{huge}/",
        "{huge}/calendar.ics",
    ],
)
def test_an_id_too_large_for_the_database_is_a_404(plan, client_alice, path):
    url = URL + path.format(plan=plan["id"], huge=10**30)
    response = client_alice.patch(url, {"status": "done"}, format="json")
    if path.endswith(("calendar.ics", "{huge}/")):
        response = client_alice.get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_archiving_a_plan_stops_its_reminders_and_delete_brings_it_back(
    plan, client_alice, client_bob
):
    url = f"/api/v1/plans/{plan['id']}/archive/"
    assert client_bob.post(url).status_code == 404  # another user's plan stays hidden
    archived = client_alice.post(url)
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert Plan.objects.get(pk=plan["id"]).archived_at is not None
    listed = client_alice.get("/api/v1/plans/").json()["results"][0]
    assert datetime.fromisoformat(listed["archived_at"]) == datetime.fromisoformat(
        archived.json()["archived_at"]
    )
    restored = client_alice.delete(url)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert Plan.objects.get(pk=plan["id"]).archived_at is None


def test_a_past_interview_is_the_interviews_fault_not_the_untouched_starts(small_kb, client_alice):
    response = client_alice.post(URL, plan_body(interview=day(-1), start=day(0)), format="json")
    error = error_of(response)
    assert error["details"]["field"] == "interview"
    assert error["message"] == f"interview: {day(-1)} is in the past"
