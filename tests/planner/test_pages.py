"""The plan pages: list, plan page, marks, replan, calendar, feed, archive, concept status,
reminder preferences. Who may see what, what each click changes, and what it costs in queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from planner import charts, progress, selection, services
from planner.models import Plan, PlanItem, ReminderPreference
from planner.selection import hours_text
from tests.planner.page_kit import JSON, TZ, make_plan

pytestmark = pytest.mark.django_db


def first_open(plan: Plan, *, kind: str = "learn") -> PlanItem:
    return plan.items.filter(kind=kind, status="pending").order_by("date", "order").first()


def item_url(plan: Plan, item: PlanItem) -> str:
    return reverse("planner:plan-item", args=[plan.pk, item.pk])


# --- who may see what ------------------------------------------------------------------------


def plan_routes(plan: Plan, item: PlanItem) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("planner:plan", args=[plan.pk]), {}),
        ("get", reverse("planner:plan-calendar", args=[plan.pk]), {}),
        ("get", reverse("planner:plan-replan", args=[plan.pk]), {}),
        ("post", reverse("planner:plan-replan", args=[plan.pk]), {}),
        ("post", item_url(plan, item), {"status": "done"}),
        ("post", reverse("planner:plan-item-rating", args=[plan.pk, item.pk]), {"rating": "good"}),
        ("post", reverse("planner:plan-archive", args=[plan.pk]), {"archived": "1"}),
        ("post", reverse("planner:plan-feed-rotate", args=[plan.pk]), {}),
    ]


def test_every_page_asks_visitors_to_sign_in(plan, client):
    item = first_open(plan)
    routes = [
        *plan_routes(plan, item),
        ("get", reverse("planner:plan-list"), {}),
        ("get", reverse("planner:plan-new"), {}),
        ("get", reverse("planner:reminder-preferences"), {}),
        ("post", reverse("planner:reminder-preferences"), {"enabled": "on"}),
        ("post", reverse("planner:reminder-rotate-webhook-secret"), {}),
        ("post", reverse("planner:reminder-revoke-links"), {}),
    ]
    for method, url, data in routes:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert PlanItem.objects.get(pk=item.pk).status == "pending"
    assert not ReminderPreference.objects.exists()


def test_another_users_plan_is_a_404_on_every_route_and_stays_as_it_was(plan, client, eve):
    item = first_open(plan)
    token, revision = plan.feed_token, plan.revision
    client.force_login(eve)
    for method, url, data in plan_routes(plan, item):
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    status = client.get(reverse("planner:concept-status"), {"plan": plan.pk})
    assert status.status_code == 404 and status.json()["error"]["code"] == "not_found"
    plan.refresh_from_db()
    assert (plan.feed_token, plan.revision, plan.archived_at) == (token, revision, None)
    assert PlanItem.objects.get(pk=item.pk).status == "pending"
    assert plan.title not in client.get(reverse("planner:plan-list")).content.decode()


def test_an_item_of_another_plan_is_a_404_even_through_your_own_plan(plan, signed_in, eve):
    theirs = make_plan(eve)
    item = first_open(theirs)
    response = signed_in.post(item_url(plan, item), {"status": "done"})
    assert response.status_code == 404
    assert PlanItem.objects.get(pk=item.pk).status == "pending"


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_plan_with_its_countdown_and_progress(plan, signed_in, ada):
    old = make_plan(ada, team="ads-ranking", days=5)
    services.plan_archive(plan=old)
    done = first_open(plan)
    services.mark_item(item=done, status="done")
    html = signed_in.get(reverse("planner:plan-list")).content.decode()
    active, archived = html.split('<details class="archived">')
    assert plan.title in active and "in 10 days" in active
    assert f'href="{reverse("planner:plan", args=[plan.pk])}"' in active
    measured = services_progress(plan)
    assert measured.text in active and measured.percent > 0
    assert old.title in archived and old.title not in active
    assert "Archived plans (1)" in archived
    assert 'href="/plans/new/"' in html


def services_progress(plan: Plan) -> progress.Progress:
    from planner import selectors

    return selectors.plan_progress(plan)


def test_the_list_costs_the_same_queries_for_one_plan_or_many(small_kb, client, ada):
    client.force_login(ada)
    make_plan(ada)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("planner:plan-list")).status_code == 200
    for team in ("ads-ranking", "llm-research", "ads-ranking"):
        make_plan(ada, team=team, days=20)
    with CaptureQueriesContext(connection) as four:
        html = client.get(reverse("planner:plan-list")).content.decode()
    assert html.count('class="plan-card"') == 4
    assert len(four) == len(one)


def test_someone_without_plans_is_offered_to_make_one(small_kb, signed_in):
    html = signed_in.get(reverse("planner:plan-list")).content.decode()
    assert "You have no plans yet." in html and 'href="/plans/new/"' in html


# --- the plan page ----------------------------------------------------------------------------


def test_the_plan_page_puts_today_first_with_every_item_markable(plan, signed_in):
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    today = services.local_today(TZ)
    today_items = plan.items.filter(date=today).exclude(kind="buffer")
    assert today_items.exists()
    section = html[html.index('id="today"') : html.index('id="progress"')]
    for item in today_items:
        assert f'id="item-{item.pk}"' in section
        assert f'action="{item_url(plan, item)}"' in section
    learn = today_items.filter(kind="learn").select_related("concept").first()
    assert f'<a href="/concepts/{learn.concept_slug}/">{learn.concept.title}</a>' in section
    assert html.index('id="today"') < html.index('id="agenda"')
    assert f'name="revision" value="{plan.revision}"' in section
    # the feed URL to copy, the calendar download, replan and archive
    assert f"/api/v1/feeds/{plan.feed_token}.ics" in html
    assert reverse("planner:plan-calendar", args=[plan.pk]) in html
    assert reverse("planner:plan-replan", args=[plan.pk]) in html
    assert reverse("planner:plan-archive", args=[plan.pk]) in html


def test_a_plan_that_did_not_fit_says_what_was_cut_and_why(small_kb, signed_in, ada):
    plan = make_plan(ada, days=2, hours=1, background=None)
    summary = plan.summary
    assert summary["cut"] and summary["warnings"]
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    counts = ", ".join(
        f"{t['name']} {t['learned']}/{t['targets']}" for t in summary["tiers"] if t["targets"]
    )
    assert f"Topics that fit: {counts}" in html
    cut = summary["cut"][0]
    assert f'<a href="/concepts/{cut["concept"]}/">' in html
    for warning in summary["warnings"]:
        assert f"<li>{warning}</li>" in html
    assert "What does not fit:" in html


def test_the_cut_list_counts_the_prerequisites_it_does_not_name(
    small_kb, signed_in, ada, monkeypatch
):
    monkeypatch.setattr(selection, "PREREQUISITE_CUTS_LISTED", 1)
    plan = make_plan(ada, days=2, hours=1, background=None)
    unlisted = plan.summary["unlisted_cuts"]
    assert unlisted["count"] >= 1
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    named = [c for c in plan.summary["cut"] if not c["tier"]]
    total = len(named) + unlisted["count"]
    assert f"and {total} prerequisites only they needed" in html
    assert f"and {unlisted['count']} more further down ({hours_text(unlisted['minutes'])})" in html


def test_the_chart_is_an_accessible_svg_with_a_text_summary(plan, signed_in):
    services.mark_item(item=first_open(plan), status="done")
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    measured = services_progress(plan)
    assert measured.done > 0
    summary = (
        f"{hours_text(measured.done)} of {hours_text(measured.planned)} done ({measured.percent}%)"
    )
    assert summary in html
    svg = re.search(r"<svg class=\"progress-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">' in svg and summary in svg  # in <desc>
    days = len(plan.summary["days"])
    assert svg.count('class="planned') == days - sum(1 for day in measured.days if not day.planned)
    assert svg.count('class="done"') == 1
    assert 'class="today"' in svg and ">today</text>" in svg


def test_a_day_without_study_says_when_the_next_one_is(small_kb, signed_in, ada):
    today = services.local_today(TZ)
    plan = make_plan(ada, blackout=(today,))
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    tomorrow = today + timedelta(days=1)
    assert f'Nothing planned today. Next study day: <a href="#day-{tomorrow.isoformat()}">' in html
    later = make_plan(ada, start_offset=2, days=12)
    html = signed_in.get(reverse("planner:plan", args=[later.pk])).content.decode()
    assert "Your plan starts on" in html


def test_a_plan_behind_schedule_says_how_far_and_offers_a_replan(small_kb, signed_in, ada):
    plan = make_plan(ada, start_offset=-4, days=8)
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    measured = services_progress(plan)
    assert measured.behind > 0
    assert f"{measured.behind} study days behind" in html
    assert "items from earlier days are still open" in html and 'href="#replan"' in html
    assert '<details class="past">' in html  # the past days, folded
    services.replan(plan=plan)  # reschedules the missed work: no longer "behind" or "open"
    html = signed_in.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    assert "done (0%), on track" in html and "still open" not in html
    assert "missed before the last replan were rescheduled" in html
    # Each missed item says the replan planned it again, rather than "to do" twice over.
    missed = plan.items.filter(date__lt=services.local_today(TZ), status="pending")
    missed = missed.exclude(kind="buffer")
    assert missed.exists()
    for item in missed:
        body = html.split(f'id="item-{item.pk}"')[1].split("</li>")[0]
        assert "data-rescheduled" in body and "Rescheduled by the replan" in body
    ahead = plan.items.filter(date__gte=services.local_today(TZ), status="pending")
    for item in ahead.exclude(kind="buffer")[:5]:
        body = html.split(f'id="item-{item.pk}"')[1].split("</li>")[0]
        assert "Rescheduled" not in body and "To do" in body


def test_the_plan_page_costs_the_same_queries_for_a_short_or_long_plan(small_kb, client, ada):
    client.force_login(ada)
    short, long = make_plan(ada, days=3), make_plan(ada, days=40, team="ads-ranking")
    for p in (short, long):  # the mark makes a concept part done: study_progress's graph path
        services.mark_item(item=first_open(p), status="done")
    for p in (short, long):  # what is read once per KB revision (kb.graph.per_revision)
        assert client.get(reverse("planner:plan", args=[p.pk])).status_code == 200
    counts = []
    for p in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("planner:plan", args=[p.pk])).status_code == 200
        counts.append(len(queries))
    assert long.items.count() > 2 * short.items.count()
    assert counts[0] == counts[1], counts


def test_each_page_costs_a_pinned_number_of_queries(plan, signed_in, django_assert_num_queries):
    """Session and user are two of each; the rest is the page's own, whatever the plan's size."""
    services.mark_item(item=first_open(plan), status="done")  # a concept part done
    with django_assert_num_queries(4):  # + the plans, their summed items
        signed_in.get(reverse("planner:plan-list"))
    with django_assert_num_queries(10):  # + the plan, graph revision (read once a request),
        # items, resources and questions (read once per KB revision: kb.graph.per_revision);
        # the self-tests' questions, concepts, memory cards
        signed_in.get(reverse("planner:plan", args=[plan.pk]))
    with django_assert_num_queries(8):  # the same page again: resources and questions are
        # kept for the revision
        signed_in.get(reverse("planner:plan", args=[plan.pk]))
    with django_assert_num_queries(10):  # + plan; lock, item, update; items for the progress
        signed_in.post(item_url(plan, first_open(plan)), {"status": "done"}, **JSON)
    with django_assert_num_queries(6):  # + plan, graph revision, learn items, and the
        # concepts the plan refreshed (the background preset is kept per KB revision)
        signed_in.get(reverse("planner:concept-status"))
    with django_assert_num_queries(4):  # + the preference (none stored), the latest plan's zone
        signed_in.get(reverse("planner:reminder-preferences"))


# --- marking items ----------------------------------------------------------------------------


def test_a_form_post_marks_then_returns_to_the_item_and_undo_puts_it_back(plan, signed_in):
    item = first_open(plan)
    response = signed_in.post(item_url(plan, item), {"status": "done", "revision": plan.revision})
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/#item-{item.pk}"
    assert PlanItem.objects.get(pk=item.pk).status == "done"
    page = signed_in.get(response["Location"]).content.decode()
    assert f"Done: {item.concept.title}." in page
    assert f'id="item-{item.pk}" data-status="done"' in page
    signed_in.post(item_url(plan, item), {"status": "pending", "revision": plan.revision})
    assert PlanItem.objects.get(pk=item.pk).status == "pending"
    signed_in.post(item_url(plan, item), {"status": "skipped"})
    assert PlanItem.objects.get(pk=item.pk).status == "skipped"


def test_a_fetch_mark_answers_json_with_the_new_progress_and_chart(plan, signed_in):
    item = first_open(plan)
    before = services_progress(plan)
    response = signed_in.post(
        item_url(plan, item), {"status": "done", "revision": plan.revision}, **JSON
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["item"] == {"id": item.pk, "status": "done"}
    assert body["revision"] == plan.revision
    assert body["progress"]["done"] == before.done + item.minutes
    assert body["progress"]["planned"] == before.planned
    assert body["progress"]["text"].startswith(
        f"{hours_text(item.minutes)} of {hours_text(before.planned)} done"
    )
    assert (
        "<svg" in body["progress"]["html"] and body["progress"]["text"] in body["progress"]["html"]
    )


def test_a_fetch_mark_passes_csrf_with_the_header_plan_js_sends(plan, ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    client.get(reverse("planner:plan", args=[plan.pk]))
    token = client.cookies["csrftoken"].value
    item = first_open(plan)
    refused = client.post(item_url(plan, item), {"status": "done"}, **JSON)
    assert refused.status_code == 403
    response = client.post(item_url(plan, item), {"status": "done"}, HTTP_X_CSRFTOKEN=token, **JSON)
    assert response.status_code == 200 and response.json()["item"]["status"] == "done"


def test_a_mark_on_a_replanned_plan_is_a_409_for_fetch_and_a_message_for_forms(plan, signed_in):
    item = first_open(plan)
    seen = plan.revision
    services.replan(plan=plan)
    response = signed_in.post(item_url(plan, item), {"status": "done", "revision": seen}, **JSON)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "plan_changed"
    assert "Reload the page" in response.json()["error"]["message"]
    plain = signed_in.post(item_url(plan, item), {"status": "done", "revision": seen}, follow=True)
    assert plain.redirect_chain == [(f"/plans/{plan.pk}/", 302)]
    assert (
        "was replanned since the page was loaded, so nothing was marked" in plain.content.decode()
    )
    assert not PlanItem.objects.filter(pk=item.pk, status="done").exists()


def test_a_mark_with_an_old_revision_is_refused_even_if_the_item_survived(plan, signed_in):
    kept = first_open(plan)
    services.mark_item(item=kept, status="done")  # done items survive a replan
    seen = plan.revision
    services.replan(plan=plan)
    response = signed_in.post(item_url(plan, kept), {"status": "pending", "revision": seen}, **JSON)
    assert response.status_code == 409
    assert PlanItem.objects.get(pk=kept.pk).status == "done"
    fresh = signed_in.post(
        item_url(plan, kept), {"status": "pending", "revision": seen + 1}, **JSON
    )
    assert fresh.status_code == 200 and PlanItem.objects.get(pk=kept.pk).status == "pending"


def test_a_bad_status_changes_nothing(plan, signed_in):
    item = first_open(plan)
    response = signed_in.post(item_url(plan, item), {"status": "finished"}, **JSON)
    assert response.status_code == 400
    assert signed_in.post(item_url(plan, item), {"status": "finished"}).status_code == 302
    assert PlanItem.objects.get(pk=item.pk).status == "pending"


def test_marks_and_other_changes_refuse_get(plan, signed_in):
    item = first_open(plan)
    for url in (
        item_url(plan, item),
        reverse("planner:plan-archive", args=[plan.pk]),
        reverse("planner:plan-feed-rotate", args=[plan.pk]),
        reverse("planner:reminder-revoke-links"),
    ):
        assert signed_in.get(url).status_code == 405, url


# --- replan, archive, calendar, feed ----------------------------------------------------------


def test_replan_keeps_what_is_done_and_says_what_fits_now(plan, signed_in):
    item = first_open(plan)
    services.mark_item(item=item, status="done")
    url = reverse("planner:plan-replan", args=[plan.pk])
    assert "Replan from today" in signed_in.get(url).content.decode()  # GET only asks
    assert Plan.objects.get(pk=plan.pk).revision == 1
    hours = {f"hours_{day}": "1" for day in range(7)}
    response = signed_in.post(url, hours, follow=True)
    plan.refresh_from_db()
    assert plan.revision == 2
    assert services.plan_inputs(plan).hours_per_weekday == (1.0,) * 7
    assert PlanItem.objects.get(pk=item.pk).status == "done"
    html = response.content.decode()
    core = plan.summary["tiers"][0]
    assert core["name"] == "core"
    fits = f"Now it fits core {core['learned']} of {core['targets']} topics"
    assert f"Replanned from today, keeping what you marked done. {fits}" in html


def test_replan_to_a_past_interview_date_is_a_field_error(plan, signed_in):
    past = services.local_today(TZ) - timedelta(days=1)
    response = signed_in.post(
        reverse("planner:plan-replan", args=[plan.pk]), {"interview": past.isoformat()}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "is in the past" in form.errors["interview"][0]
    assert Plan.objects.get(pk=plan.pk).revision == 1


def test_archive_and_bring_back(plan, signed_in):
    url = reverse("planner:plan-archive", args=[plan.pk])
    response = signed_in.post(url, {"archived": "1"}, follow=True)
    assert Plan.objects.get(pk=plan.pk).archived_at is not None
    assert "Plan archived" in response.content.decode()
    assert "Bring it back" in response.content.decode()
    signed_in.post(url, {"archived": "0"})
    assert Plan.objects.get(pk=plan.pk).archived_at is None


def test_the_calendar_download_is_an_ics_with_the_study_days(plan, signed_in):
    response = signed_in.get(reverse("planner:plan-calendar", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    study_days = {i.date for i in plan.items.exclude(kind="buffer")}
    assert len(events) == len(study_days) + 1  # and the interview
    assert str(events[-1]["SUMMARY"]) == "Interview: LLM research"


def test_rotating_the_feed_changes_its_url_and_the_old_one_stops_working(plan, signed_in, client):
    old = f"/api/v1/feeds/{plan.feed_token}.ics"
    assert Client().get(old).status_code == 200
    response = signed_in.post(reverse("planner:plan-feed-rotate", args=[plan.pk]), follow=True)
    assert response.redirect_chain == [(f"/plans/{plan.pk}/#calendar", 302)]
    plan.refresh_from_db()
    new = f"/api/v1/feeds/{plan.feed_token}.ics"
    assert new != old
    html = response.content.decode()
    assert f"http://testserver{new}" in html and old not in html
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


# --- concept status ---------------------------------------------------------------------------


def status_of(client, **params) -> dict:
    response = client.get(reverse("planner:concept-status"), params)
    assert response.status_code == 200
    return response.json()


def test_concept_status_is_empty_for_visitors_and_people_without_plans(small_kb, client, ada):
    assert status_of(client) == {"plan": None, "status": {}}
    client.force_login(ada)
    assert status_of(client) == {"plan": None, "status": {}}


def test_concept_status_says_known_planned_and_done(plan, signed_in):
    body = status_of(signed_in)
    assert body["plan"] == {"id": plan.pk, "title": plan.title, "url": f"/plans/{plan.pk}/"}
    status = body["status"]
    # the ml-engineer background: softmax and the math area known, self-attention shaky,
    # and a shaky concept the plan reviews is work to do
    assert status["softmax"] == status["linear-algebra"] == "known"
    assert plan.items.filter(kind="review", concept_slug="self-attention").exists()
    assert status["self-attention"] == "planned"
    learn = set(plan.items.filter(kind="learn").values_list("concept_slug", flat=True))
    assert learn and all(status[slug] == "planned" for slug in learn)
    assert set(status.values()) == {"known", "planned"}
    slug = sorted(learn)[0]
    for item in plan.items.filter(kind="learn", concept_slug=slug):
        services.mark_item(item=item, status="done")
    assert status_of(signed_in)["status"][slug] == "done"


def test_concept_status_reads_the_plan_asked_for_else_the_latest_active_one(plan, signed_in, ada):
    newer = make_plan(ada, team="ads-ranking", background=None)
    assert status_of(signed_in)["plan"]["id"] == newer.pk
    assert status_of(signed_in, plan=plan.pk)["plan"]["id"] == plan.pk
    services.plan_archive(plan=newer)
    assert status_of(signed_in)["plan"]["id"] == plan.pk
    assert signed_in.get(reverse("planner:concept-status"), {"plan": "x"}).status_code == 400
    assert signed_in.get(reverse("planner:concept-status"), {"plan": 99999}).status_code == 404


def test_concept_status_for_a_concept_reads_the_plan_that_schedules_it(plan, signed_in, ada):
    newer = make_plan(ada, team="ads-ranking", background=None)
    slug = plan.items.filter(kind="learn").values_list("concept_slug", flat=True).first()
    assert not newer.items.filter(concept_slug=slug).exists()
    assert status_of(signed_in, concept=slug)["plan"]["id"] == plan.pk
    assert status_of(signed_in, concept="not-in-any-plan")["plan"]["id"] == newer.pk


def test_concept_status_costs_the_same_queries_whatever_the_plan(plan, client, ada):
    client.force_login(ada)
    big = make_plan(ada, team="ads-ranking", days=40)
    counts = []
    for p in (plan, big):
        with CaptureQueriesContext(connection) as queries:
            status_of(client, plan=p.pk)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- reminder preferences ---------------------------------------------------------------------

PREFS = {
    "enabled": "on",
    "email": "on",
    "webhook_url": "",
    "local_time": "07:30",
    "timezone": "Asia/Tokyo",
    "days_off": ["5", "6"],
}


def test_reading_the_reminder_page_subscribes_nobody(small_kb, signed_in, ada):
    make_plan(ada)
    html = signed_in.get(reverse("planner:reminder-preferences")).content.decode()
    assert not ReminderPreference.objects.exists()
    assert "Reminders are off until you turn them on and save." in html
    assert '<option value="Europe/Berlin" selected>' in html  # the latest plan's zone


def test_saving_reminder_preferences_stores_every_field(small_kb, signed_in, ada, public_dns):
    data = {**PREFS, "webhook_url": "https://hooks.example.org/prep"}
    response = signed_in.post(reverse("planner:reminder-preferences"), data)
    assert response.status_code == 302
    stored = ReminderPreference.objects.get(user=ada)
    assert stored.enabled and stored.email
    assert (stored.local_time.isoformat("minutes"), stored.timezone) == ("07:30", "Asia/Tokyo")
    assert stored.days_off == [5, 6] and stored.webhook_url == "https://hooks.example.org/prep"
    page = signed_in.get(reverse("planner:reminder-preferences")).content.decode()
    assert stored.webhook_secret in page and "Reminder settings saved." in page


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "valid choice"),
        ({"webhook_url": "https://10.0.0.7/hook"}, "webhook_url", "private"),
        ({"webhook_url": "https://127.0.0.1/hook"}, "webhook_url", ""),
        ({"webhook_url": "ftp://example.org/x"}, "webhook_url", ""),
        ({"local_time": "25:00"}, "local_time", ""),
        ({"days_off": ["7"]}, "days_off", ""),
    ],
)
def test_a_bad_reminder_setting_is_a_field_error_and_stores_nothing(
    small_kb, signed_in, change, field, says
):
    response = signed_in.post(reverse("planner:reminder-preferences"), {**PREFS, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert says in " ".join(errors[field])
    assert not ReminderPreference.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            {"email": None, "webhook_url": ""},
            "email",
            "Reminders are on but go nowhere: turn on email or add a webhook URL",
        ),
        (
            {"days_off": [str(d) for d in range(7)]},
            "days_off",
            "Reminders are on but every day is a day off: leave at least one day out",
        ),
    ],
)
def test_reminders_that_could_never_come_are_refused_not_saved(
    small_kb, signed_in, change, field, says
):
    data = {key: value for key, value in {**PREFS, **change}.items() if value is not None}
    response = signed_in.post(reverse("planner:reminder-preferences"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors == {field: [says]}
    html = response.content.decode()
    assert "Reminder settings saved." not in html and says in html
    assert not ReminderPreference.objects.exists()


def test_reminders_turned_off_may_have_no_way_to_come(small_kb, signed_in, ada):
    data = {**PREFS, "days_off": [str(d) for d in range(7)]}
    del data["enabled"], data["email"]
    response = signed_in.post(reverse("planner:reminder-preferences"), data)
    assert response.status_code == 302
    assert not ReminderPreference.objects.get(user=ada).enabled


def test_the_webhook_secret_rotates_and_reminder_links_can_be_revoked(small_kb, signed_in, ada):
    signed_in.post(reverse("planner:reminder-preferences"), PREFS)
    stored = ReminderPreference.objects.get(user=ada)
    response = signed_in.post(reverse("planner:reminder-rotate-webhook-secret"))
    assert response["Location"] == "/reminders/#webhook-secret"
    rotated = ReminderPreference.objects.get(user=ada)
    assert rotated.webhook_secret != stored.webhook_secret and rotated.link_key == stored.link_key
    signed_in.post(reverse("planner:reminder-revoke-links"))
    assert ReminderPreference.objects.get(user=ada).link_key != stored.link_key


# --- the pure parts -----------------------------------------------------------------------------


def test_progress_counts_days_behind_and_ahead_and_leaves_out_buffers_and_skips():
    from datetime import date

    days = [date(2026, 12, d) for d in range(1, 8)]
    items = [(day, "learn", "pending", 60) for day in days] + [(days[0], "buffer", "pending", 30)]
    today = days[3]
    nothing_done = progress.measure(items, today=today)
    assert (nothing_done.planned, nothing_done.done, nothing_done.behind) == (420, 0, 3)
    assert nothing_done.pace == "3 study days behind"
    two_done = [(d, k, "done" if d <= days[1] else s, m) for d, k, s, m in items]
    assert progress.measure(two_done, today=today).behind == 1
    five_done = [(d, k, "done" if d <= days[4] else s, m) for d, k, s, m in items]
    ahead = progress.measure(five_done, today=today)
    assert (ahead.behind, ahead.ahead, ahead.pace) == (0, 1, "1 study day ahead")
    skipped = [(d, k, "skipped" if d < today else s, m) for d, k, s, m in items]
    measured = progress.measure(skipped, today=today)
    assert (measured.planned, measured.skipped, measured.pace) == (240, 180, "on track")
    replanned = progress.measure(items, today=today, replanned_from=today)
    assert (replanned.planned, replanned.missed_before_replan, replanned.behind) == (240, 180, 0)


def test_the_chart_marks_today_and_labels_its_axes():
    from datetime import date

    days = [date(2026, 11, 30) + timedelta(days=n) for n in range(14)]
    items = [(day, "learn", "done" if n < 3 else "pending", 90) for n, day in enumerate(days)]
    measured = progress.measure(
        items, today=days[4], days=[(day, day == days[-1], False) for day in days]
    )
    chart = charts.progress_chart(measured)
    assert len(chart.bars) == 14
    assert chart.today_x == pytest.approx(chart.bars[4].x + chart.bars[4].width / 2, abs=0.2)
    assert chart.interview_x is not None and chart.interview_x > chart.today_x
    assert [label for _, label in chart.y_ticks] == ["0", "1 h", "2 h"]
    assert [label for _, label in chart.x_labels] == ["30 Nov", "7 Dec"]
    assert chart.bars[0].done_height == chart.bars[0].planned_height > 0
    assert chart.bars[3].past and chart.bars[3].done_height == 0
    assert chart.bars[0].label == "Mon 30 Nov: 90 of 90 min done"


# --- must-have topics -------------------------------------------------------------------------


def test_the_teams_must_have_topics_are_marked_where_they_are_learned(small_kb, ada, client):
    from kb.models import Concept, TeamProfile

    transformer = Concept.objects.get(slug="transformer")
    TeamProfile.objects.get(slug="llm-research").must_have.add(transformer)
    plan = make_plan(ada, days=14)
    client.force_login(ada)
    html = client.get(reverse("planner:plan", args=[plan.pk])).content.decode()
    items = re.findall(r'<li class="item kind-(\w+)" id="item-(\d+)".*?</li>', html, re.S)
    tagged = []
    for kind, item_id in items:
        body = html.split(f'id="item-{item_id}"')[1].split("</li>")[0]
        if 'class="tag must-have"' in body:
            tagged.append((kind, PlanItem.objects.get(pk=item_id).concept_slug))
    sessions = plan.items.filter(kind="learn", concept_slug="transformer").count()
    assert sessions and plan.items.filter(kind="review", concept_slug="transformer").exists()
    # Every session learning it, and nothing else: not its reviews, not other topics.
    assert tagged == [("learn", "transformer")] * sessions
