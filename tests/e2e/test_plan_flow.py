"""A study plan in the browser: the wizard, marking items, replanning, the calendar file."""

import re
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect

from planner import services
from planner.models import ItemStatus, Plan, PlanItem
from planner.selection import hours_text
from tests.e2e.conftest import screenshot

TEAM = "llm-research"


def today_items(page):
    """Today's items that can be marked (a buffer cannot)."""
    return page.locator("#today li.item").filter(has=page.locator("form[data-mark]"))


def item_id(item) -> int:
    return int(item.get_attribute("id").removeprefix("item-"))


def progress_text(page) -> str:
    return page.locator("[data-progress-text]").inner_text().strip()


def chart_done(page) -> float:
    """Minutes done as the chart draws them: the height of the filled bars, summed."""
    return page.locator("#progress-body svg.progress-chart rect.done").evaluate_all(
        "bars => bars.reduce((sum, bar) => sum + bar.height.baseVal.value, 0)"
    )


def test_make_a_plan_mark_replan_and_download(open_page, make_user, shipped_graph):
    user = make_user("ada")
    page = open_page(user=user)
    interview = services.local_today("UTC") + timedelta(days=21)

    # The wizard: a team, a date three weeks ahead, a background, and 4 h every day (the
    # same first day, with several items, whatever the weekday the test runs on).
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Make a plan").click()
    expect(page).to_have_url(re.compile(r"/plans/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a study plan")
    page.get_by_label("Team", exact=True).select_option(TEAM)
    page.get_by_label("Interview date").fill(interview.isoformat())
    page.get_by_role("radio", name=re.compile(r"^ML engineer\b")).check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day, exact=True).fill("4")
    page.get_by_role("button", name="Preview the plan").click()

    # The preview: nothing saved yet, the tiers that fit and the list of what does not.
    expect(page.locator(".eyebrow")).to_have_text("Preview: nothing is saved yet")
    expect(page.get_by_role("heading", level=1)).to_contain_text("LLM Pre-training Research")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{interview.day} {interview:%B %Y}"
    )
    tiers = page.get_by_role("table", name="Topics that fit, by how much they matter")
    expect(tiers.get_by_role("row").filter(has_text="core")).to_have_text(
        re.compile(r"core\s*\d+ of \d+")
    )
    cut = page.locator("details.cut-list")
    expect(cut.locator(":scope > summary")).to_have_text(
        re.compile(r"^What does not fit: \d+ topics?")
    )
    expect(cut.locator("ol.cuts li").first).to_be_visible()  # open on the preview
    expect(page.get_by_role("heading", name="The first days")).to_be_visible()
    assert not Plan.objects.exists()
    screenshot(page, "wizard-preview")

    # Change the answers: the wizard again, filled in as sent; then the same preview.
    page.get_by_role("button", name="Change the answers").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a study plan")
    expect(page.get_by_label("Team", exact=True)).to_have_value(TEAM)
    expect(page.get_by_label("Interview date")).to_have_value(interview.isoformat())
    expect(page.get_by_role("radio", name=re.compile(r"^ML engineer\b"))).to_be_checked()
    page.get_by_role("button", name="Preview the plan").click()
    expect(page.locator(".eyebrow")).to_have_text("Preview: nothing is saved yet")
    previewed = tiers.locator("tbody th").evaluate_all(
        "cells => cells.map(th => [th.textContent.trim(), th.nextElementSibling.textContent])"
    )

    page.get_by_role("button", name="Save this plan").first.click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
    expect(page.get_by_role("status").first).to_contain_text("Your plan is saved.")
    plan = Plan.objects.get()
    assert plan.owner == user
    assert plan.team.slug == TEAM
    assert page.url.endswith(f"/plans/{plan.pk}/")
    assert plan.inputs["background"] == "ml-engineer"
    # Save stored the plan that was previewed.
    assert previewed == [
        [tier["name"], f"{tier['learned']} of {tier['targets']}"]
        for tier in plan.summary["tiers"]
        if tier["targets"]
    ]

    # Today first: the day's items, each with one-click Done and Skip.
    today = services.local_today("UTC")
    expect(page.locator("#today-h")).to_contain_text(f"Today, {today:%A} {today.day} {today:%B}")
    items = today_items(page)
    expect(items.first).to_be_visible()
    stored = set(plan.items.filter(date=today).exclude(kind="buffer").values_list("pk", flat=True))
    assert {item_id(items.nth(i)) for i in range(items.count())} == stored
    screenshot(page, "plan-page")

    # One click marks an item done: no navigation, no reload, progress and chart redrawn.
    first = items.first
    first_id = item_id(first)
    before_text, before_chart = progress_text(page), chart_done(page)
    assert before_text.startswith("0 of ")
    page.evaluate("window.__stillHere = true")
    url = page.url
    first.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(first).to_have_attribute("data-status", "done")
    expect(first.locator("[data-status-label]")).to_have_text("✓ Done")
    expect(page.locator("[data-progress-text]")).not_to_have_text(before_text)
    assert page.evaluate("window.__stillHere === true"), "the page was reloaded"
    assert page.url == url
    assert chart_done(page) > before_chart
    expect(page.locator("#plan-status")).to_contain_text("Marked done")
    expect(page.locator("#today [data-today-progress]")).not_to_have_text(re.compile(r"^0 min"))
    done_minutes = PlanItem.objects.get(pk=first_id).minutes
    assert progress_text(page).startswith(f"{hours_text(done_minutes)} of ")
    assert PlanItem.objects.get(pk=first_id).status == ItemStatus.DONE
    # The focus moves to Undo, the one button left.
    expect(first.get_by_role("button", name=re.compile(r"^Undo"))).to_be_focused()

    # Undo puts it back, and the numbers with it.
    first.get_by_role("button", name=re.compile(r"^Undo")).click()
    expect(first).to_have_attribute("data-status", "pending")
    expect(page.locator("[data-progress-text]")).to_have_text(before_text)
    assert chart_done(page) == before_chart
    assert PlanItem.objects.get(pk=first_id).status == ItemStatus.PENDING
    assert page.evaluate("window.__stillHere === true")

    # Done again, then replan: asked first (No changes nothing), then done, keeping it.
    first.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(first).to_have_attribute("data-status", "done")
    # A second tab, left open on the plan from before the replan.
    stale = page.context.new_page()
    stale.goto(page.url)
    replan = page.get_by_role("button", name="Replan from today")
    page.once("dialog", lambda dialog: dialog.dismiss())
    replan.click()
    expect(page.locator("#archive")).to_contain_text("Revision 1")
    assert page.evaluate("window.__stillHere === true")
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    replan.click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Replanned from today, keeping what you marked done."
    )
    assert asked and asked[0].startswith("Replan from today?")
    expect(page.locator("#archive")).to_contain_text("Revision 2")
    plan.refresh_from_db()
    assert plan.revision == 2
    assert PlanItem.objects.get(pk=first_id).status == ItemStatus.DONE
    expect(page.locator(f"#item-{first_id}")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-progress-text]")).to_contain_text(f"{hours_text(done_minutes)} of ")

    # The stale tab marks nothing: it says the plan changed and offers a reload.
    stale_item = today_items(stale).and_(stale.locator("[data-status=pending]")).first
    stale_item.get_by_role("button", name=re.compile(r"^Skip")).click()
    alert = stale.get_by_role("alert")
    expect(alert).to_contain_text("This plan was replanned since the page was loaded")
    expect(stale_item).to_have_attribute("data-status", "pending")
    alert.get_by_role("button", name="Reload the plan").click()
    expect(stale.locator("#archive")).to_contain_text("Revision 2")
    assert not plan.items.filter(status=ItemStatus.SKIPPED).exists()

    # The .ics file, through the page's link: a study event a day, and the interview.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the .ics file").click()
    assert download.value.suggested_filename == f"prepgraph-plan-{plan.pk}.ics"
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    events = list(calendar.walk("VEVENT"))
    interview_events = [e for e in events if str(e["UID"]) == f"{plan.uid}-interview@prepgraph"]
    assert len(interview_events) == 1
    assert interview_events[0].decoded("DTSTART") == plan.interview_at
    # Named after the team (today by its slug: planner.calendar uses payload["team"]).
    assert str(interview_events[0]["SUMMARY"]) in {
        f"Interview: {TEAM}",
        "Interview: LLM Pre-training Research",
    }
    study = [e for e in events if e not in interview_events]
    study_days = set(plan.items.exclude(kind="buffer").values_list("date", flat=True).distinct())
    assert {e.decoded("DTSTART").date() for e in study} == study_days
    assert all(str(e["SUMMARY"]).startswith("Study: ") for e in study)
    assert {int(e["SEQUENCE"]) for e in events} == {2}

    # The same plan on a phone.
    phone = open_page(width=375, height=812, user=user)
    phone.goto(f"/plans/{plan.pk}/")
    expect(phone.locator(f"#item-{first_id}")).to_have_attribute("data-status", "done")
    screenshot(phone, "plan-page-phone")


def test_mark_an_item_without_javascript(open_page, make_user, make_plan):
    user = make_user("ada")
    plan = make_plan(user)
    page = open_page(user=user, js=False)
    page.goto(f"/plans/{plan.pk}/")
    item = today_items(page).first
    number = item_id(item)
    title = PlanItem.objects.get(pk=number)
    before = progress_text(page)

    item.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/#item-{number}$"))
    expect(page.get_by_role("status").first).to_contain_text("Done: ")
    expect(page.get_by_role("status").first).to_contain_text(
        title.concept.title if title.concept_id else title.get_kind_display()
    )
    expect(page.locator(f"#item-{number}")).to_have_attribute("data-status", "done")
    expect(page.locator(f"#item-{number} [data-status-label]")).to_have_text("✓ Done")
    assert progress_text(page) != before
    assert PlanItem.objects.get(pk=number).status == ItemStatus.DONE

    page.locator(f"#item-{number}").get_by_role("button", name=re.compile(r"^Undo")).click()
    expect(page.get_by_role("status").first).to_contain_text("Back on your to-do list")
    expect(page.locator(f"#item-{number}")).to_have_attribute("data-status", "pending")
    assert progress_text(page) == before


def test_another_users_plan_is_not_found(open_page, make_user, make_plan):
    owner, other = make_user("ada"), make_user("bob")
    plan = make_plan(owner)
    page = open_page(user=other)
    for path in (
        f"/plans/{plan.pk}/",
        f"/plans/{plan.pk}/replan/",
        f"/plans/{plan.pk}/calendar.ics",
    ):
        response = page.goto(path)
        assert response.status == 404, path
    expect(page.locator("body")).not_to_contain_text(plan.title)
    # Nor does the plan show up among Bob's.
    page.goto("/plans/")
    expect(page.locator("main")).to_contain_text("You have no plans yet.")
    # Marking one of its items is refused too, and changes nothing.
    first = plan.items.exclude(kind="buffer").first()
    page.goto("/plans/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    answer = page.request.post(
        f"/plans/{plan.pk}/items/{first.pk}/",
        form={"status": "done", "revision": str(plan.revision), "csrfmiddlewaretoken": token},
        headers={"Accept": "application/json", "Referer": page.url},
    )
    assert answer.status == 404
    first.refresh_from_db()
    assert first.status == ItemStatus.PENDING


def test_calendar_feed_copy_rotate_and_archive(open_page, make_user, make_plan, site):
    user = make_user("ada")
    plan = make_plan(user)
    page = open_page(user=user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(f"/plans/{plan.pk}/")

    # Copy: the private feed's address, absolute, on the clipboard.
    feed = page.get_by_label("Or subscribe: your private feed address")
    old = feed.input_value()
    assert old == f"{site}/api/v1/feeds/{plan.feed_token}.ics"
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == old
    answer = page.request.get(old)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")

    # A new address, after a confirmation: the old one stops working at once.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New feed address").click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/#calendar$"))
    expect(page.get_by_role("status").first).to_contain_text("Your calendar feed has a new address")
    new = feed.input_value()
    assert new != old
    plan.refresh_from_db()
    assert new == f"{site}/api/v1/feeds/{plan.feed_token}.ics"
    assert page.request.get(old).status == 404
    assert page.request.get(new).status == 200

    # Archive: the plan stays readable, moves to the archived ones, and comes back.
    page.get_by_role("button", name="Archive this plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan archived")
    expect(page.locator(".plan-head .tag")).to_have_text("archived")
    page.goto("/plans/")
    expect(page.locator("main")).to_contain_text("No active plans.")
    archived = page.locator("details.archived")
    expect(archived.locator("summary")).to_have_text("Archived plans (1)")
    archived.locator("summary").click()
    archived.get_by_role("link", name=plan.title).click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/$"))
    page.get_by_role("button", name="Bring it back").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan brought back")
    plan.refresh_from_db()
    assert plan.archived_at is None
