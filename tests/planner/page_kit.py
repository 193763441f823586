"""What the plan-page tests share: members and their plans (the fixtures are in conftest)."""

from datetime import timedelta

from django.contrib.auth import get_user_model

from planner import services
from planner.models import Plan
from planner.services import PlanInputs

TZ = "Europe/Berlin"
JSON = {"HTTP_ACCEPT": "application/json"}


def make_user(name: str):
    return get_user_model().objects.create_user(name, email=f"{name}@example.org")


def make_plan(user, *, days: int = 10, hours: float = 2, start_offset: int = 0, **inputs) -> Plan:
    """A plan starting `start_offset` days from today (negative: it began in the past)."""
    today = services.local_today(TZ)
    start = today + timedelta(days=start_offset)
    fields = {"team": "llm-research", "background": "ml-engineer", **inputs}
    return services.create_plan(
        owner=user,
        inputs=PlanInputs(
            interview=today + timedelta(days=days),
            start=start,
            timezone=TZ,
            hours_per_weekday=(hours,) * 7,
            **fields,
        ),
        today=start,
    )
