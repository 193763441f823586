"""prepgraph.rows.insert_rows writes what bulk_create would, or nothing and says why."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kb.models import Concept
from planner.models import ItemStatus, Plan, PlanItem
from prepgraph.rows import insert_rows, insert_rows_returning

OLD_PARIS_NOON = datetime(1900, 1, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
FIELDS = ("plan_id", "date", "order", "kind", "concept_id", "concept_slug", "minutes", "note")
# Every column but the ids: what bulk_create and insert_rows must write alike.
COMPARED = [f.attname for f in PlanItem._meta.concrete_fields if f.attname not in ("id", "plan_id")]


@pytest.fixture
def two_plans(db):
    owner = get_user_model().objects.create_user("ada")
    interview = datetime(2026, 12, 20, 9, tzinfo=UTC)
    return [
        Plan.objects.create(
            owner=owner,
            title=f"plan {n}",
            inputs={},
            interview_at=interview,
            timezone="UTC",
            start_date=date(2026, 12, 1),
        )
        for n in (1, 2)
    ]


def rows_of(plan: Plan) -> list[tuple]:
    return list(plan.items.order_by("date", "order").values_list(*COMPARED))


@pytest.mark.django_db
def test_the_rows_match_what_bulk_create_writes_with_the_defaults_filled_in(small_kb, two_plans):
    by_orm, by_rows = two_plans
    concept = Concept.objects.first()
    values = [
        (date(2026, 12, 1), 0, "learn", concept.pk, concept.slug, 90, "toward Transformers"),
        (date(2026, 12, 1), 1, "buffer", None, "", 15, ""),
        (date(2026, 12, 2), 0, "review", concept.pk, concept.slug, 20, "ünïcode ✓"),
    ]
    PlanItem.objects.bulk_create(
        PlanItem(plan=by_orm, **dict(zip(FIELDS[1:], row, strict=True))) for row in values
    )
    assert insert_rows(PlanItem, FIELDS, [(by_rows.pk, *row) for row in values]) == 3

    assert rows_of(by_rows) == rows_of(by_orm)
    assert {row[-2] for row in rows_of(by_rows)} == {ItemStatus.PENDING}  # the model default
    # The dates come back as dates: stored in the backend's own date format.
    assert by_rows.items.filter(date=date(2026, 12, 2)).count() == 1


class ClockTime(datetime):
    """A datetime of a subclass, as a frozen test clock hands out."""


@pytest.mark.django_db
def test_awkward_values_come_back_as_they_went_in(small_kb, two_plans):
    by_orm, by_rows = two_plans
    fields = (*FIELDS, "status", "completed_at")
    done = datetime(2026, 12, 1, 7, 30, 15, 123456, tzinfo=UTC)
    values = [
        (
            date(2026, 12, 1),
            0,
            "learn",
            None,
            'it\'s "x" \\ y',
            30,
            "line\nbreak\ttab",
            "done",
            done,
        ),
        (
            date(2026, 12, 1),
            1,
            "review",
            None,
            "",
            10,
            "日本語 — ✓ 😀",
            "done",
            ClockTime(2026, 12, 1, 23, 59, tzinfo=UTC),
        ),
        (date(2026, 12, 2), 0, "buffer", None, "%s %(x)s {}", 5, "", "pending", None),
        # Paris was UTC+00:09:21 until 1911: an offset with seconds, kept to the second.
        (date(2026, 12, 2), 1, "review", None, "", 5, "", "done", OLD_PARIS_NOON),
    ]
    PlanItem.objects.bulk_create(
        PlanItem(plan=by_orm, **dict(zip(fields[1:], row, strict=True))) for row in values
    )
    with CaptureQueriesContext(connection) as statements:
        assert insert_rows(PlanItem, fields, [(by_rows.pk, *row) for row in values]) == 4
    assert len(statements) == 1
    assert rows_of(by_rows) == rows_of(by_orm)
    assert by_rows.items.get(order=0, date=date(2026, 12, 1)).completed_at == done
    assert by_rows.items.get(order=1, date=date(2026, 12, 2)).completed_at == datetime(
        1900, 1, 1, 11, 50, 39, tzinfo=UTC
    )


@pytest.mark.django_db
def test_a_value_json_cannot_carry_fails_as_bulk_create_fails(two_plans):
    """An integer beyond 64 bits: the database's (or the driver's) own error, as with
    bulk_create, and nothing written."""
    by_orm, by_rows = two_plans
    huge = (date(2026, 12, 1), 0, "learn", None, "", 2**70, "")
    with pytest.raises(Exception) as orm, transaction.atomic():
        PlanItem.objects.bulk_create(
            [PlanItem(plan=by_orm, **dict(zip(FIELDS[1:], huge, strict=True)))]
        )
    with pytest.raises(Exception) as rows, transaction.atomic():
        insert_rows(PlanItem, FIELDS, [(by_rows.pk, *huge)])
    assert type(rows.value) is type(orm.value)
    assert not PlanItem.objects.exists()


@pytest.mark.django_db
def test_the_rows_written_come_back_with_their_keys_as_python_values(small_kb, two_plans):
    _, plan = two_plans
    PlanItem.objects.create(plan=plan, date=date(2026, 12, 1), order=0, kind="buffer", minutes=5)
    values = [
        (plan.pk, date(2026, 12, day), day, "learn", None, f"c{day}", day, "") for day in (3, 1, 2)
    ]
    written = insert_rows_returning(PlanItem, FIELDS, values, returning=("id", "date", "minutes"))

    assert sorted((when, minutes) for _, when, minutes in written) == [
        (date(2026, 12, day), day) for day in (1, 2, 3)
    ]
    stored = PlanItem.objects.in_bulk([pk for pk, _, _ in written])
    assert all(stored[pk].date == when for pk, when, _ in written)
    assert insert_rows_returning(PlanItem, FIELDS, [], returning=("id",)) == []
    # More rows than one statement takes (SQLite's parameter limit): every batch's rows.
    many = [(plan.pk, date(2026, 12, 5), n, "learn", None, "", 1000 - n, "") for n in range(300)]
    written = insert_rows_returning(PlanItem, FIELDS, many, returning=("id", "order", "minutes"))
    assert sorted((order, minutes) for _, order, minutes in written) == [
        (n, 1000 - n) for n in range(300)
    ]
    stored = dict(
        PlanItem.objects.filter(plan=plan, date=date(2026, 12, 5)).values_list("pk", "minutes")
    )
    assert {pk: minutes for pk, _, minutes in written} == stored


@pytest.mark.django_db
def test_a_value_longer_than_its_column_is_refused_not_cut(two_plans):
    """PostgreSQL enforces a CharField's length (an explicit cast to varchar(n) would cut
    instead); SQLite stores any length."""
    plan = two_plans[0]
    slug = "x" * 81  # concept_slug holds 80
    row = (plan.pk, date(2026, 12, 1), 0, "learn", None, slug, 30, "")
    if connection.vendor == "postgresql":
        with pytest.raises(DataError), transaction.atomic():
            insert_rows(PlanItem, FIELDS, [row])
        assert not PlanItem.objects.exists()
    else:
        insert_rows(PlanItem, FIELDS, [row])
        assert PlanItem.objects.get().concept_slug == slug


@pytest.mark.django_db
def test_no_rows_write_nothing(two_plans):
    assert insert_rows(PlanItem, FIELDS, []) == 0
    assert not PlanItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("plan", "date", "order", "kind", "minutes"), "give the foreign key by its id, plan_id"),
        (("plan_id", "day", "order", "kind", "minutes"), "has no column 'day'"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_written(two_plans, fields, message):
    plan = two_plans[0]
    with pytest.raises(ValueError, match=message):
        insert_rows(PlanItem, fields, [(plan.pk, date(2026, 12, 1), 0, "learn", 30)])
    assert not PlanItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "fields", "row", "named"),
    [
        # date_joined defaults to timezone.now: one value for every row would be wrong.
        (get_user_model(), ("username", "password"), ("grace", "!"), "date_joined"),
        # uid (uuid4) is the first of Plan's; created_at and updated_at are set on save.
        (Plan, ("title",), ("a plan",), "uid"),
    ],
)
def test_a_field_whose_value_differs_per_row_must_be_given(db, model, fields, row, named):
    with pytest.raises(ValueError, match=f"{named}: give it, its default is per row"):
        insert_rows(model, fields, [row])
    assert not model.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_takes_the_whole_transaction_with_it(two_plans):
    plan = two_plans[0]
    row = (plan.pk, date(2026, 12, 1), 0, "learn", None, "", 30, "")
    clash = (plan.pk, date(2026, 12, 1), 0, "review", None, "", 10, "")  # the same slot
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(PlanItem, FIELDS, [row, clash])
    assert not PlanItem.objects.exists()


@pytest.mark.django_db
def test_a_value_of_another_type_is_converted_by_its_field_as_bulk_create_does(two_plans):
    by_orm, by_rows = two_plans
    odd = (date(2026, 12, 1), 0, "learn", None, "", 67.5, "")  # minutes as a float
    PlanItem.objects.bulk_create([PlanItem(plan=by_orm, **dict(zip(FIELDS[1:], odd, strict=True)))])
    insert_rows(PlanItem, FIELDS, [(str(by_rows.pk), *odd)])  # and the plan id as text
    assert rows_of(by_rows) == rows_of(by_orm)
    assert by_rows.items.get().minutes == 67 and type(by_rows.items.get().minutes) is int


@pytest.mark.django_db
def test_a_plans_summary_is_compressed_with_lz4_on_postgresql(two_plans):
    """Its 50 KB summary inserted three times faster than with pglz, as small (migration
    planner 0005); a large summary is read back whole."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL column setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'planner_plan'::regclass AND attname = 'summary'"
        )
        assert cursor.fetchone()[0] == "l"
    plan = two_plans[0]
    summary = {"cut": [{"concept": f"c{n}", "reason": "a reason " * 20} for n in range(400)]}
    Plan.objects.filter(pk=plan.pk).update(summary=summary)
    assert Plan.objects.get(pk=plan.pk).summary == summary


@pytest.mark.django_db
def test_a_plans_items_are_found_by_an_index_leading_with_the_plan_and_only_one_per_need():
    """A plan writes its hundred items at once: no index that another one covers."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "planner_planitem")
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert ["plan_id"] not in indexed
    assert ["plan_id", "date", "order"] in indexed and ["plan_id", "status", "date"] in indexed
