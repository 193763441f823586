"""Accounts in the browser: sign up through the form, sign out, sign in again."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD


def header(page):
    return page.get_by_role("navigation", name="Main")


def test_sign_up_sign_out_and_sign_in_again(page, transactional_db):
    page.goto("/")
    header(page).get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/signup/$"))

    page.get_by_label("User name").fill("grace")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # A new account is signed in at once and sent to the plan wizard, why people sign up.
    expect(page).to_have_url(re.compile(r"/plans/new/$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome, grace. You are signed in.")
    expect(header(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(header(page).get_by_role("link", name="Sign in")).to_have_count(0)
    expect(page.get_by_role("contentinfo")).to_contain_text("Signed in as grace")
    user = get_user_model().objects.get(username="grace")
    assert user.email == "grace@example.org"
    assert user.check_password(PASSWORD)

    header(page).get_by_role("button", name="Sign out").click()
    expect(header(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(header(page).get_by_role("button", name="Sign out")).to_have_count(0)
    # Signed out for real: a page for members sends the visitor to sign in.
    page.goto("/plans/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/plans/$"))

    page.get_by_label("User name").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/plans/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your plans")
    expect(header(page).get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_with_a_wrong_password_stays_signed_out(page, make_user):
    make_user("ada")
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("main")).to_contain_text("enter a correct username and password")
    expect(header(page).get_by_role("link", name="Sign in")).to_be_visible()


def test_reset_a_forgotten_password(page, make_user, mailoutbox):
    make_user("ada")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    # The mail names the site the request came to; open its path on the test server.
    path = re.sub(r"^https?://[^/]+", "", link.group(0))
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    fields = page.locator("main form input[type=password]")
    expect(fields).to_have_count(2)
    fields.nth(0).fill("another-long-passphrase-7")
    fields.nth(1).fill("another-long-passphrase-7")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")

    # The link worked once; the new password signs in.
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill("another-long-passphrase-7")
    page.get_by_role("button", name="Sign in").click()
    expect(header(page).get_by_role("button", name="Sign out")).to_be_visible()
