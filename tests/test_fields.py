"""prepgraph.fields.LargeJSONField stores what Django's JSONField stores, on either database."""

import enum
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction

from planner import services
from planner.models import Plan
from planner.services import PlanInputs
from prepgraph import fields

DOCUMENT = {
    "ünïcode": ["✓ 😀", 1, -2.5, 1e-7, None, True, False],
    "nested": {"deep": [{"text": 'a "quoted" \\ back\nslash\u2028'}]},
    "empty": {},
    3: "an integer key, written as a string as json.dumps does",
}


@pytest.fixture
def plan(db):
    return Plan.objects.create(
        title="a plan",
        inputs={},
        interview_at=datetime(2026, 12, 20, 9, tzinfo=UTC),
        timezone="UTC",
        start_date=date(2026, 12, 1),
    )


def stored_summary(plan: Plan):
    return Plan.objects.get(pk=plan.pk).summary


@pytest.mark.django_db
@pytest.mark.parametrize(
    "document",
    [
        DOCUMENT,
        [1, "two", [3]],
        "text",
        7,
        {"huge": 2**80, "beyond": -(2**70)},
        {1e-7: "a float key", None: "a null key", True: "a true key"},
    ],
    ids=["document", "list", "string", "number", "integers-beyond-64-bits", "odd-keys"],
)
def test_a_value_reads_back_as_djangos_json_field_stores_it(plan, document):
    plan.summary = document
    plan.save(update_fields=["summary"])
    assert stored_summary(plan) == json.loads(json.dumps(document))
    Plan.objects.filter(pk=plan.pk).update(summary=document)  # an UPDATE of the column alone
    assert stored_summary(plan) == json.loads(json.dumps(document))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "document",
    [{"when": datetime(2026, 12, 1, tzinfo=UTC)}, {"day": date(2026, 12, 1)}, {"set": {1, 2}}],
    ids=["datetime", "date", "set"],
)
def test_what_json_dumps_refuses_is_refused_as_by_djangos_json_field(plan, document):
    """orjson writes dates; json.dumps, and so Django's JSONField (`inputs`), does not."""
    with pytest.raises(TypeError) as plain, transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(inputs=document)
    with pytest.raises(TypeError) as large, transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(summary=document)
    assert str(large.value) == str(plain.value)
    assert Plan.objects.get(pk=plan.pk).inputs == {} and stored_summary(plan) == {}


@pytest.mark.django_db
def test_a_plans_summary_takes_the_fast_writer(small_kb):
    """Nothing in a plan's summary sends it to json.dumps: a str subclass (a choice's
    label), a tuple of them or a datetime would, and a plan would cost more to store."""
    inputs = PlanInputs(
        team="llm-research", interview=date(2026, 12, 10), start=date(2026, 12, 1), timezone="UTC"
    )
    plan = services.create_plan(inputs=inputs, today=date(2026, 12, 1))
    written = fields.orjson_or_json_dumps(plan.summary)
    assert isinstance(written, bytes), "json.dumps's str: the summary fell back"
    assert plan.summary["days"] and json.loads(written) == stored_summary(plan)


@pytest.mark.django_db
def test_a_uuid_an_enum_and_a_nan_are_what_orjson_writes_differently(plan):
    """The three documented exceptions: json.dumps refuses a UUID and an Enum (and
    jsonb a NaN); orjson writes their text, their value and null."""
    plan.summary = {"id": uuid.UUID(int=1), "tier": Tier.CORE, "score": float("nan")}
    if connection.vendor != "postgresql":  # json.dumps writes SQLite's text
        with pytest.raises(TypeError, match="UUID is not JSON serializable"):
            plan.save(update_fields=["summary"])
        return
    plan.save(update_fields=["summary"])
    assert stored_summary(plan) == {"id": str(uuid.UUID(int=1)), "tier": 0, "score": None}


class Tier(enum.Enum):
    CORE = 0
