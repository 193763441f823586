"""Reading and changing a person's reminder preferences (API, admin and tests use these).

Reminders are opt-in: reading the preferences of someone who never saved
them returns the defaults without storing anything, and those defaults have
reminders off, in the time zone of the person's latest plan.

Reminders that are on must be able to come: by email or to a webhook, on at
least one day of the week (`check_delivery`). Settings that could never send
anything are refused rather than saved, whichever way they arrive (site, API,
admin).
"""

from collections.abc import Mapping
from datetime import time
from typing import Any

from django.db import transaction

from planner import webhooks
from planner.core import PlanInputError
from planner.models import Plan, ReminderPreference, new_link_key, new_webhook_secret
from planner.services import zone

EDITABLE = ("enabled", "email", "webhook_url", "local_time", "timezone", "days_off")
DELIVERY = frozenset({"enabled", "email", "webhook_url", "days_off"})  # what check_delivery reads
NOWHERE = "reminders are on but go nowhere: turn on email or add a webhook URL"
NEVER = "reminders are on but every day is a day off: leave at least one day out"
NO_ADDRESS = "reminders by email need an email address on your account: add one or a webhook URL"


def default_timezone(*, user) -> str:
    """The time zone of the person's latest plan: their mornings, not UTC's."""
    latest = Plan.objects.filter(owner=user).order_by("-created_at").values("timezone").first()
    return latest["timezone"] if latest else "UTC"


def preference_get(*, user) -> ReminderPreference:
    """The user's stored preferences, or unsaved defaults (reminders off); never writes."""
    stored = ReminderPreference.objects.filter(user=user).first()
    if stored is not None:
        return stored
    return ReminderPreference(user=user, enabled=False, timezone=default_timezone(user=user))


def preference_check(changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` checked and normalised; a bad field raises PlanInputError naming it."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise PlanInputError(unknown[0], "is not a reminder preference")
    cleaned = dict(changes)
    for flag in ("enabled", "email"):
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            raise PlanInputError(flag, "must be true or false")
    if "webhook_url" in cleaned:
        url = cleaned["webhook_url"] or ""
        if url:
            webhooks.check_url(url)
        cleaned["webhook_url"] = url
    if "local_time" in cleaned:
        value = cleaned["local_time"]
        if isinstance(value, str):
            try:
                value = time.fromisoformat(value)
            except ValueError:
                raise PlanInputError("local_time", f"{value!r} is not a time (HH:MM)") from None
        if not isinstance(value, time):
            raise PlanInputError("local_time", "must be a time (HH:MM)")
        cleaned["local_time"] = value.replace(second=0, microsecond=0, tzinfo=None)
    if "timezone" in cleaned:
        if not isinstance(cleaned["timezone"], str):
            raise PlanInputError("timezone", "must be an IANA time zone name")
        zone(cleaned["timezone"])  # raises naming the timezone field
    if "days_off" in cleaned:
        days = cleaned["days_off"]
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
        ):
            raise PlanInputError("days_off", "must be a list of weekdays 0 (Monday) to 6 (Sunday)")
        cleaned["days_off"] = sorted(set(days))
    return cleaned


def check_delivery(values: Mapping[str, Any], *, address: str | None = None) -> None:
    """Raise PlanInputError when reminders that are on could never be sent.

    `values`: enabled, email, webhook_url and days_off, as checked by preference_check
    (a whole set of preferences, not a partial change). Turned off, anything goes.
    `address`: the account's email address, when known ("" for an account without one).
    """
    if not values["enabled"]:
        return
    if not values["email"] and not values["webhook_url"]:
        raise PlanInputError("email", NOWHERE)
    if values["email"] and address == "" and not values["webhook_url"]:
        raise PlanInputError("email", NO_ADDRESS)
    if set(range(7)) <= set(values["days_off"]):
        raise PlanInputError("days_off", NEVER)


def preference_update(*, user, **changes: Any) -> ReminderPreference:
    """Validate and store `changes` (creating the row on first save); bad input writes nothing.

    A change to how or whether reminders come is checked against the preferences it
    leaves (check_delivery); changing only the time or the zone is not.
    """
    cleaned = preference_check(changes)
    with transaction.atomic():
        preference = ReminderPreference.objects.select_for_update().filter(user=user).first()
        if preference is None:
            preference = preference_get(user=user)
        for name, value in cleaned.items():
            setattr(preference, name, value)
        if DELIVERY & cleaned.keys():
            check_delivery(
                {name: getattr(preference, name) for name in DELIVERY}, address=user.email or ""
            )
        preference.save()
    return preference


def _replace_secret(*, user, field: str, value: str) -> ReminderPreference:
    with transaction.atomic():
        preference = ReminderPreference.objects.select_for_update().filter(user=user).first()
        if preference is None:
            preference = preference_get(user=user)
        setattr(preference, field, value)
        preference.save()
    return preference


def preference_rotate_webhook_secret(*, user) -> ReminderPreference:
    """A new signing key for webhooks: the old one stops verifying at the next delivery."""
    return _replace_secret(user=user, field="webhook_secret", value=new_webhook_secret())


def preference_revoke_links(*, user) -> ReminderPreference:
    """Invalidate every mark-done and replan link in reminders sent so far."""
    return _replace_secret(user=user, field="link_key", value=new_link_key())
