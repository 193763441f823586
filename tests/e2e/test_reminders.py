"""Reminder settings in the browser: turn them on, then manage the webhook secret."""

import re

from playwright.sync_api import expect

from planner.models import ReminderPreference
from tests.e2e.conftest import assert_accessible


def test_turn_reminders_on_and_rotate_the_webhook_secret(open_page, make_user, site):
    user = make_user("ada")
    page = open_page(user=user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto("/reminders/")
    expect(page.locator("main .lede")).to_contain_text("Reminders are off until you turn them on")
    expect(page.get_by_role("heading", name="Webhook signature")).to_have_count(0)

    page.get_by_label("Send me reminders").check()
    page.get_by_label("By email to ada@example.org").check()
    page.get_by_label("Time of day").fill("07:30")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Saturday").check()
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/reminders/$"))
    expect(page.get_by_role("status").first).to_have_text("Reminder settings saved.")
    preference = ReminderPreference.objects.get(user=user)
    assert preference.enabled and preference.email
    assert preference.local_time.strftime("%H:%M") == "07:30"
    assert preference.timezone == "Europe/Berlin"
    # The form shows what was saved.
    expect(page.get_by_label("Send me reminders")).to_be_checked()
    expect(page.get_by_label("Time of day")).to_have_value("07:30")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_label("Saturday")).to_be_checked()
    assert_accessible(page, where="reminders, saved")

    # The webhook secret: shown on request, copied, and replaced after a confirmation.
    page.get_by_text("Show the secret").click()
    secret = page.get_by_label("Webhook secret")
    old = secret.input_value()
    assert old == preference.webhook_secret
    page.locator("#webhook-secret").get_by_role("button", name="Copy").click()
    expect(page.locator("#webhook-secret [data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == old
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New secret").click()
    expect(page).to_have_url(re.compile(r"/reminders/#webhook-secret$"))
    expect(page.get_by_role("status").first).to_contain_text("New webhook secret")
    page.get_by_text("Show the secret").click()
    assert secret.input_value() != old
    preference.refresh_from_db()
    assert secret.input_value() == preference.webhook_secret
