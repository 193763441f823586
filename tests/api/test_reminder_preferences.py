from datetime import time

import pytest

from planner import preferences
from planner.models import ReminderPreference
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/reminder-preferences/"


def test_reading_the_defaults_subscribes_nobody_and_stores_nothing(client_alice, alice):
    response = client_alice.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("enabled", "email", "webhook_url", "local_time", "timezone")} == {
        "enabled": False,
        "email": True,
        "webhook_url": None,
        "local_time": "08:00",
        "timezone": "UTC",
    }
    assert body["days_off"] == []
    assert not ReminderPreference.objects.filter(user=alice).exists()
    client_alice.patch(URL, {"enabled": True}, format="json")
    stored = ReminderPreference.objects.get(user=alice)
    assert (
        stored.enabled and client_alice.get(URL).json()["webhook_secret"] == stored.webhook_secret
    )


def test_put_changes_every_field_given(client_alice, alice, public_dns):
    body = {
        "enabled": True,
        "email": False,
        "webhook_url": "https://hooks.example.org/prep",
        "local_time": "07:30",
        "timezone": "Europe/Berlin",
        "days_off": [6, 5, 6],
    }
    response = client_alice.put(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["days_off"] == [5, 6]
    assert response.json()["local_time"] == "07:30"
    stored = ReminderPreference.objects.get(user=alice)
    assert (stored.email, stored.local_time, stored.timezone) == (
        False,
        time(7, 30),
        "Europe/Berlin",
    )
    assert stored.webhook_url == "https://hooks.example.org/prep"


def test_fields_left_out_keep_their_value_and_null_removes_the_webhook(
    client_alice, alice, public_dns
):
    client_alice.put(URL, {"webhook_url": "https://hooks.example.org/x"}, format="json")
    response = client_alice.patch(URL, {"enabled": False}, format="json")
    assert response.json()["webhook_url"] == "https://hooks.example.org/x"
    response = client_alice.patch(URL, {"webhook_url": None}, format="json")
    assert response.json()["webhook_url"] is None
    assert response.json()["enabled"] is False
    assert ReminderPreference.objects.get(user=alice).webhook_url == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"local_time": "7:30"}, "local_time"),
        ({"local_time": "25:00"}, "local_time"),
        ({"webhook_url": "ftp://example.org/x"}, "webhook_url"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"days_off": [7]}, "days_off"),
        ({"days_off": "weekends"}, "days_off"),
        ({"enabled": "yes"}, "enabled"),
        ({"email": 1}, "email"),
    ],
)
def test_a_bad_preference_is_a_400_naming_the_field(client_alice, alice, body, field):
    response = client_alice.put(URL, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert field in error["message"]
    assert preferences.preference_get(user=alice).timezone == "UTC"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": True, "email": False, "webhook_url": None}, "email"),
        ({"enabled": True, "days_off": [0, 1, 2, 3, 4, 5, 6]}, "days_off"),
    ],
)
def test_reminders_that_could_never_come_are_a_400(client_alice, alice, body, field):
    response = client_alice.put(URL, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["details"]["field"] == field
    assert error["message"].startswith(f"{field}: reminders are on but ")
    assert not ReminderPreference.objects.filter(user=alice).exists()


def test_a_change_is_checked_against_what_is_stored(client_alice, alice):
    """Email off is fine while reminders are off; turning them on then is not."""
    assert client_alice.patch(URL, {"email": False}, format="json").status_code == 200
    response = client_alice.patch(URL, {"enabled": True}, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["field"] == "email"
    assert not ReminderPreference.objects.get(user=alice).enabled
    # A change that leaves how and when alone is not held up by the rest.
    assert client_alice.patch(URL, {"timezone": "Asia/Tokyo"}, format="json").status_code == 200


def test_preferences_belong_to_the_signed_in_user(client_alice, client_bob, anon):
    client_alice.put(URL, {"timezone": "Asia/Tokyo"}, format="json")
    assert client_bob.get(URL).json()["timezone"] == "UTC"
    assert anon.get(URL).status_code == 401
    assert anon.put(URL, {"enabled": False}, format="json").status_code == 401


def test_the_webhook_secret_rotates_and_links_can_be_revoked(client_alice, alice, anon):
    before = client_alice.patch(URL, {"enabled": True}, format="json").json()
    rotated = client_alice.post(URL + "rotate-webhook-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["webhook_secret"] not in (None, before["webhook_secret"])
    key = ReminderPreference.objects.get(user=alice).link_key
    assert client_alice.post(URL + "revoke-links/").status_code == 200
    assert ReminderPreference.objects.get(user=alice).link_key != key
    assert anon.post(URL + "rotate-webhook-secret/").status_code == 401
    assert anon.post(URL + "revoke-links/").status_code == 401


def test_an_unsaved_preference_shows_no_secret(client_alice, alice):
    body = client_alice.get(URL).json()
    assert body["webhook_secret"] is None and body["updated_at"] is None
