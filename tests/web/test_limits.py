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


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client):
    """No trusted proxy: the address is REMOTE_ADDR, whatever X-Forwarded-For claims."""
    url = reverse("web:signup")
    for n in range(allowed("sign-up", "ip")):
        client.post(url, {"username": f"user{n}"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    blocked = client.post(url, {"username": "one-more"}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert blocked.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_count(client, settings):
    """One proxy: the address it saw (the last entry) is the client's, not the proxy's."""
    settings.TRUSTED_PROXIES = 1
    url = reverse("web:signup")
    for n in range(allowed("sign-up", "ip")):
        client.post(url, {"username": f"user{n}"}, HTTP_X_FORWARDED_FOR="forged, 198.51.100.7")
    assert (
        client.post(url, {"username": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    )
    other = client.post(url, {"username": "y"}, HTTP_X_FORWARDED_FOR="forged, 198.51.100.8")
    assert other.status_code != 429


def test_the_api_throttle_ignores_a_forged_forwarded_for_header(small_kb, settings):
    """DRF keys anonymous throttles on the whole X-Forwarded-For header unless NUM_PROXIES
    is set: a client writing a new header each time would never be throttled."""
    from rest_framework.test import APIClient

    from tests.api.conftest import throttle_rates

    throttle_rates(settings, anon="2/minute", user="1000/minute")
    api = APIClient()
    codes = [
        api.get("/api/v1/concepts/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
