"""The account forms' rate limits: guessing a password or flooding a mailbox stops at a 429
that says why, and the counts are per address and per account."""

import pytest
from django.core import mail
from django.urls import reverse

from web.limits import LIMITS

pytestmark = pytest.mark.django_db


def allowed(form: str, key: str) -> int:
    rate = dict(LIMITS[form])[key]
    return int(rate.split("/")[0])


def test_sign_in_guesses_stop_per_account_and_other_accounts_still_sign_in(client, ada):
    url = reverse("login")
    for _ in range(allowed("sign-in", "post:username")):
        response = client.post(url, {"username": "ada", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    blocked = client.post(url, {"username": "ada", "password": "plum-tree-lantern-42"})
    assert blocked.status_code == 429
    assert "too many attempts at sign-in" in blocked.content.decode()
    other = client.post(url, {"username": "grace", "password": "wrong"})
    assert other.status_code == 200


def test_showing_the_sign_in_form_is_never_limited(client, ada):
    for _ in range(allowed("sign-in", "post:username") + 5):
        assert client.get(reverse("login")).status_code == 200


def test_password_reset_mails_stop_per_mailbox(client, ada):
    url = reverse("password_reset")
    for _ in range(allowed("password reset", "post:email")):
        assert client.post(url, {"email": "ada@example.org"}).status_code == 302
    assert len(mail.outbox) == allowed("password reset", "post:email")
    blocked = client.post(url, {"email": "ada@example.org"})
    assert blocked.status_code == 429
    assert len(mail.outbox) == allowed("password reset", "post:email")


def test_sign_ups_stop_per_address(client):
    url = reverse("web:signup")
    for n in range(allowed("sign-up", "ip")):
        client.post(url, {"username": f"user{n}"})  # incomplete forms count too
    blocked = client.post(url, {"username": "one-more"})
    assert blocked.status_code == 429
    assert "too many attempts at sign-up" in blocked.content.decode()
