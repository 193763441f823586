"""axe-core on every page, drawn as a browser draws it, and every page at phone width.

Each test walks its pages and reports every problem at once: a page with a serious or
critical axe-core violation (WCAG 2 A/AA and best practices), and a page that scrolls
sideways at 375 CSS pixels (the page itself; a wide table or chart may scroll inside
its own box).
"""

import json
import re
from datetime import timedelta

from playwright.sync_api import expect

from planner import services
from tests.e2e.conftest import axe_violations, horizontal_overflow
from tests.e2e.test_concept_graph import wait_for_graph

PHONE = {"width": 375, "height": 812}
ANONYMOUS_PAGES = {
    "home": "/",
    "search results": "/?q=transformers",
    "concept page": "/concepts/transformer-architecture/",
    "concept list": "/concepts/",
    "track page": "/tracks/nlp/",
    "track graph": "/tracks/nlp/graph/",
    "team page": "/teams/llm-research/",
    "sign up": "/signup/",
    "sign in": "/accounts/login/",
    "password reset": "/accounts/password_reset/",
}


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"{path}: HTTP {response.status}"
    if page.locator("[data-kb-graph]").count():
        wait_for_graph(page)


def check(page, where: str, problems: dict, *, axe: bool) -> None:
    """Record what is wrong with the page as it is now under `where`."""
    found = {}
    if axe:
        violations = axe_violations(page)
        if violations:
            found["axe"] = violations
    overflow = horizontal_overflow(page)
    if overflow:
        found["scrolls sideways by (px)"] = overflow
    if found:
        problems[where] = found


def preview(page) -> None:
    """The wizard, filled in and sent: the preview page."""
    visit(page, "/plans/new/")
    interview = services.local_today("UTC") + timedelta(days=21)
    page.get_by_label("Team", exact=True).select_option("llm-research")
    page.get_by_label("Interview date").fill(interview.isoformat())
    page.get_by_role("radio", name=re.compile(r"^ML engineer\b")).check()
    page.get_by_role("button", name="Preview the plan").click()
    page.get_by_role("button", name="Save this plan").first.wait_for()


def report(problems: dict) -> str:
    return "\n" + json.dumps(problems, indent=1)


def test_public_pages(open_page, shipped_graph):
    problems: dict = {}
    wide, phone = open_page(), open_page(**PHONE)
    for name, path in ANONYMOUS_PAGES.items():
        visit(wide, path)
        check(wide, f"{name} ({path})", problems, axe=True)
        visit(phone, path)
        check(phone, f"{name} ({path}) at 375 px", problems, axe=True)
    assert not problems, report(problems)


def test_member_pages(open_page, make_user, make_plan):
    user = make_user("ada")
    plan = make_plan(user)
    pages = {
        "plan page": f"/plans/{plan.pk}/",
        "plan list": "/plans/",
        "reminders": "/reminders/",
        "replan confirmation": f"/plans/{plan.pk}/replan/",
        "wizard": "/plans/new/",
    }
    problems: dict = {}
    wide, phone = open_page(user=user), open_page(user=user, **PHONE)
    for name, path in pages.items():
        visit(wide, path)
        check(wide, f"{name} ({path})", problems, axe=True)
        if name == "plan page":
            # Marked items look different (muted, struck through, a green label).
            items = wide.locator("#today li.item").filter(has=wide.locator("form[data-mark]"))
            items.nth(0).get_by_role("button", name=re.compile(r"^Done")).click()
            items.nth(1).get_by_role("button", name=re.compile(r"^Skip")).click()
            expect(items.nth(0)).to_have_attribute("data-status", "done")
            expect(items.nth(1)).to_have_attribute("data-status", "skipped")
            check(wide, f"{name} ({path}) with items done and skipped", problems, axe=True)
        visit(phone, path)
        check(phone, f"{name} ({path}) at 375 px", problems, axe=True)
    # A concept's graph coloured by the member's plan (known, planned, done).
    path = "/concepts/transformer-architecture/"
    visit(wide, path)
    expect(wide.locator(".legend-plan")).to_contain_text("Colours from your plan")
    check(wide, f"concept page with plan colours ({path})", problems, axe=True)
    # The wizard's preview, both wide and on a phone.
    preview(wide)
    check(wide, "wizard preview", problems, axe=True)
    preview(phone)
    check(phone, "wizard preview at 375 px", problems, axe=True)
    assert not problems, report(problems)


def blank_below_footer(page) -> int:
    """CSS pixels of page that can be scrolled to below the footer."""
    return page.evaluate(
        """() => document.documentElement.scrollHeight - Math.ceil(
            document.querySelector("footer").getBoundingClientRect().bottom + window.scrollY)"""
    )


def test_graph_pages_end_at_their_footer(open_page, shipped_graph):
    page = open_page()
    blank = {}
    for path in ("/concepts/transformer-architecture/", "/tracks/nlp/graph/"):
        visit(page, path)
        if (gap := blank_below_footer(page)) > 30:
            blank[path] = gap
    assert not blank, f"blank page below the footer (px): {blank}"
