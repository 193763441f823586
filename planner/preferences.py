"""Reading and changing a person's reminder preferences (API, admin and tests use these)."""

from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from planner.core import PlanInputError
from planner.models import ReminderPreference
from planner.services import zone

EDITABLE = ("enabled", "email", "webhook_url", "local_time", "timezone", "days_off")


def preference_get(*, user) -> ReminderPreference:
    """The user's preferences, created with the defaults on first use."""
    return ReminderPreference.objects.get_or_create(user=user)[0]


def preference_update(*, user, **changes: Any) -> ReminderPreference:
    """Validate and store `changes`; a bad field raises PlanInputError naming it, writes nothing."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise PlanInputError(unknown[0], "is not a reminder preference")
    preference = preference_get(user=user)
    if "enabled" in changes and not isinstance(changes["enabled"], bool):
        raise PlanInputError("enabled", "must be true or false")
    if "email" in changes and not isinstance(changes["email"], bool):
        raise PlanInputError("email", "must be true or false")
    if "webhook_url" in changes:
        url = changes["webhook_url"] or ""
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise PlanInputError("webhook_url", f"{url!r} is not an http(s) URL") from None
        changes["webhook_url"] = url
    if "local_time" in changes:
        value = changes["local_time"]
        if isinstance(value, str):
            try:
                value = time.fromisoformat(value)
            except ValueError:
                raise PlanInputError("local_time", f"{value!r} is not a time (HH:MM)") from None
        if not isinstance(value, time):
            raise PlanInputError("local_time", "must be a time (HH:MM)")
        changes["local_time"] = value.replace(second=0, microsecond=0)
    if "timezone" in changes:
        zone(changes["timezone"])  # raises naming the timezone field
    if "days_off" in changes:
        days = changes["days_off"]
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
        ):
            raise PlanInputError("days_off", "must be a list of weekdays 0 (Monday) to 6 (Sunday)")
        changes["days_off"] = sorted(set(days))
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.save()
    return preference
