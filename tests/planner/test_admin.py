"""The planner admin: bad values are form errors, never 500s, and nothing bypasses the services."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from planner import preferences, services
from planner.models import PlanItem, ReminderPreference
from planner.services import PlanInputs

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    return client


def preference_form(owner, **changes) -> dict:
    data = {
        "user": str(owner.pk),
        "enabled": "on",
        "email": "on",
        "webhook_url": "",
        "local_time": "08:00",
        "timezone": "Europe/Berlin",
        "days_off": [],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Base"}, "unknown time zone &#x27;Mars/Base&#x27;"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "link-local"),
        ({"webhook_url": "http://127.0.0.1:6379/"}, "loopback"),
        ({"days_off": ["9"]}, "Select a valid choice. 9 is not one of the available choices."),
        ({"days_off": ["[" * 3000 + "]" * 3000]}, "is not one of the available choices"),
        ({"email": None}, "reminders are on but go nowhere"),
        ({"days_off": [str(day) for day in range(7)]}, "every day is a day off"),
    ],
)
def test_a_bad_preference_in_the_admin_is_a_form_error_and_changes_nothing(
    staff_client, changes, message
):
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    stored = preferences.preference_update(user=ada, timezone="UTC")
    url = reverse("admin:planner_reminderpreference_change", args=[stored.pk])
    response = staff_client.post(url, preference_form(ada, user=None, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ReminderPreference.objects.get(pk=stored.pk).timezone == "UTC"


def test_a_good_preference_in_the_admin_is_stored_through_the_service(staff_client):
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    url = reverse("admin:planner_reminderpreference_add")
    response = staff_client.post(url, preference_form(ada, days_off=["6", "5", "6"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ReminderPreference.objects.get(user=ada)
    assert stored.timezone == "Europe/Berlin" and stored.days_off == [5, 6]


def test_the_admin_rotates_secrets_and_revokes_links(staff_client):
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    before = preferences.preference_update(user=ada, enabled=True)
    url = reverse("admin:planner_reminderpreference_changelist")
    for action in ("rotate_webhook_secret", "revoke_links"):
        response = staff_client.post(url, {"action": action, "_selected_action": [before.pk]})
        assert response.status_code == 302
    after = ReminderPreference.objects.get(pk=before.pk)
    assert after.webhook_secret != before.webhook_secret and after.link_key != before.link_key


def test_plan_items_cannot_be_added_in_the_admin(staff_client, small_kb):
    response = staff_client.get(reverse("admin:planner_planitem_add"))
    assert response.status_code == 403
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    today = date.today()
    plan = services.create_plan(
        owner=ada,
        inputs=PlanInputs(team="ads-ranking", interview=today + timedelta(days=5), start=today),
        today=today,
    )
    page = staff_client.get(reverse("admin:planner_plan_change", args=[plan.pk]))
    assert page.status_code == 200
    assert 'name="items-MAX_NUM_FORMS" value="0"' in page.content.decode()  # no add row
    item = PlanItem.objects.filter(plan=plan).first()
    change = reverse("admin:planner_planitem_change", args=[item.pk])
    assert staff_client.post(change, {"status": "done"}).status_code == 302
    assert PlanItem.objects.get(pk=item.pk).status == "done"


def test_plans_are_not_added_or_rescheduled_in_the_admin_but_can_be_archived(
    staff_client, small_kb
):
    assert staff_client.get(reverse("admin:planner_plan_add")).status_code == 403
    ada = get_user_model().objects.create_user("ada", email="ada@example.org")
    today = date.today()
    plan = services.create_plan(
        owner=ada,
        inputs=PlanInputs(team="ads-ranking", interview=today + timedelta(days=5), start=today),
        today=today,
    )
    change = reverse("admin:planner_plan_change", args=[plan.pk])
    form = {"title": "Renamed", "timezone": "Mars/Olympus", "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0"}  # fmt: skip
    assert staff_client.post(change, form).status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.timezone) == ("Renamed", "UTC")  # the zone is read-only here
    listing = reverse("admin:planner_plan_changelist")
    staff_client.post(listing, {"action": "archive", "_selected_action": [plan.pk]})
    plan.refresh_from_db()
    assert plan.archived_at is not None
