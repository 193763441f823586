"""Writing many rows of one model in one statement, without a model instance per row.

A plan is a hundred or so items written at once. `QuerySet.bulk_create` builds a
model instance per row and prepares every field of every row through the field's
conversion chain: about 6 ms a plan here, more than storing it costs the database.
`insert_rows` takes plain tuples and converts only the fields whose Python value is
not what the database driver takes as it is (dates on SQLite, for one), then writes
them as multi-row INSERTs, or on PostgreSQL as one INSERT from one JSON document.
What bulk_create does not do either (save signals, `full_clean`) it does not do;
constraints are the database's, as for any write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import chain
from typing import Any

import orjson
from django.db import NotSupportedError, connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# Fields (these classes exactly: a subclass may convert in its own way) whose values the
# drivers (sqlite3, psycopg) take as they are when of the plain Python type below; any
# other value (67.5 for an IntegerField, a lazy string) goes through the field, as with
# bulk_create.
_AS_IS: dict[type[models.Field], type] = {
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
}


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """INSERT `rows` (tuples of values for `fields`, by field name; a foreign key by its
    attname, such as `plan_id`) into `model`'s table; the number of rows written.

    A field left out gets its model default, as with bulk_create; the primary key
    comes from the database. The rows go in as few statements as the backend's
    parameter limit allows, all or none (in the caller's transaction when there is one).
    """
    return len(_insert(model, fields, rows, returning=()))


def insert_rows_returning(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """insert_rows, and the `returning` columns of every row written (INSERT ...
    RETURNING), as Python values.

    For a caller that answers with what it wrote (a new plan's items, ids and all)
    without reading it back. The rows come back in no promised order (neither SQLite
    nor PostgreSQL guarantees RETURNING's): return a unique key with the id and match
    by it, never by position. A backend without RETURNING is refused.
    """
    connection = connections[router.db_for_write(model)]
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotSupportedError(f"{connection.vendor} cannot return the inserted rows")
    meta = model._meta
    wanted = [_field(meta, name) for name in returning]
    written = _insert(model, fields, rows, returning=wanted)
    return [
        tuple(_plain(field).to_python(value) for field, value in zip(wanted, row, strict=True))
        for row in written
    ]


def _insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    returning: Sequence[models.Field],
) -> list[tuple[Any, ...]]:
    """One tuple per row written: its `returning` columns as the driver gives them."""
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    given = {name: _field(meta, name) for name in fields}
    defaults = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.attname not in given
    ]
    for field in [*given.values(), *defaults]:
        if getattr(field, "generated", False) or field.db_default is not models.NOT_PROVIDED:
            # The database computes these; bulk_create leaves them out too.
            raise ValueError(f"{meta.label}.{field.name}: the database sets it, not supported")
    for field in defaults:
        per_row = field.has_default() and callable(field.default)
        if per_row or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            # A value per row (uuid4, now): the caller gives it in `fields`.
            raise ValueError(f"{meta.label}.{field.name}: give it, its default is per row")
    named = list(given.values())
    columns = [*named, *defaults]
    plain = [_plain_type(field) for field in named]
    fixed = tuple(field.get_db_prep_save(field.get_default(), connection) for field in defaults)
    prepared = [
        tuple(
            value
            if value is None or type(value) is kind
            else field.get_db_prep_save(value, connection)
            for value, kind, field in zip(row, plain, named, strict=True)
        )
        + fixed
        for row in rows
    ]
    if not prepared:
        return []
    quote = connection.ops.quote_name
    into = "INSERT INTO {} ({})".format(
        quote(meta.db_table), ", ".join(quote(field.column) for field in columns)
    )
    tail = (
        " RETURNING " + ", ".join(quote(field.column) for field in returning) if returning else ""
    )
    if connection.vendor == "postgresql" and all(_in_json(field) for field in columns):
        document = _as_json(prepared)
        if document is not None:
            return _insert_from_json(connection, into, tail, columns, document, len(prepared))
    head = into + " VALUES "
    one = "({})".format(", ".join(["%s"] * len(columns)))
    size = max(1, connection.ops.bulk_batch_size(columns, prepared))
    written: list[tuple[Any, ...]] = []
    # All batches or none, as bulk_create (no savepoint: free inside the caller's block).
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        # One statement per batch, many rows each: executemany would be one statement
        # per row, a round trip each on PostgreSQL.
        for start in range(0, len(prepared), size):
            batch = prepared[start : start + size]
            sql = head + ", ".join([one] * len(batch)) + tail
            cursor.execute(sql, list(chain.from_iterable(batch)))
            written += cursor.fetchall() if returning else [()] * len(batch)
    return written


# The column types a JSON document carries exactly, so PostgreSQL reads them back as the
# driver would have passed them: numbers, strings, booleans, dates and times as ISO 8601.
# Floats are not among them (orjson writes NaN as null), nor JSON and the rest, which keep
# the VALUES form.
_JSON_SAFE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _in_json(field: models.Field) -> bool:
    return _plain(field).get_internal_type() in _JSON_SAFE


def _bare_type(field: models.Field, connection: BaseDatabaseWrapper) -> str:
    """The column's type without its length: an explicit cast to varchar(80) cuts a
    longer value where the column itself refuses it, so the record keeps only the type
    and the column's own check applies, as with VALUES (`timestamp(3) with time zone`
    keeps its time zone)."""
    return " ".join(re.sub(r"\([^)]*\)", " ", field.db_type(connection)).split())


def _iso(value: Any) -> str:
    """Dates and times as Python writes them: orjson would cut a UTC offset with seconds
    (Paris before 1911, +00:09:21) to the minute."""
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value a JSON row carries")


def _record_keys(count: int) -> list[str]:
    """The JSON rows' keys, column by column: the record's names for the columns."""
    return [f"c{n}" for n in range(count)]


def _as_json(prepared: list[tuple]) -> str | None:
    """The rows as one JSON list of objects keyed c0, c1, ... (a column's own name may be
    longer than PostgreSQL's 63-byte identifiers); None for a value JSON cannot carry
    as the driver would (an integer beyond 64 bits, a lone surrogate)."""
    keys = _record_keys(len(prepared[0]))
    try:
        document = orjson.dumps(
            [dict(zip(keys, row, strict=True)) for row in prepared],
            default=_iso,
            option=orjson.OPT_PASSTHROUGH_DATETIME,
        )
    except orjson.JSONEncodeError:
        return None
    return document.decode()


def _insert_from_json(
    connection: BaseDatabaseWrapper,
    into: str,
    tail: str,
    columns: list[models.Field],
    document: str,
    rows: int,
) -> list[tuple[Any, ...]]:
    """PostgreSQL: one INSERT ... SELECT FROM json_to_recordset() of one parameter.

    The same rows as the VALUES form in one statement, whatever their number. psycopg
    quotes each parameter in Python, so a value each (VALUES) or an array per column
    costs the web process more than writing the rows costs the server: for a plan's
    hundred items, 1.5 ms of its CPU with arrays against 0.3 ms for one JSON document
    written by orjson, and 2.7 against 1.6 ms until the rows are in.
    """
    keys = _record_keys(len(columns))
    record = ", ".join(
        f"{key} {_bare_type(field, connection)}" for key, field in zip(keys, columns, strict=True)
    )
    selected = ", ".join(keys)
    atomic = transaction.atomic(using=connection.alias, savepoint=False)
    with atomic, connection.cursor() as cursor:
        cursor.execute(
            f"{into} SELECT {selected} FROM json_to_recordset(%s::json) AS row_({record}){tail}",
            [document],
        )
        return cursor.fetchall() if tail else [()] * rows


def _plain(field: models.Field) -> models.Field:
    """The field a value of `field` is stored as: a foreign key's target field."""
    return _plain(field.target_field) if field.is_relation else field


def _field(meta, name: str) -> models.Field:
    field = next((f for f in meta.concrete_fields if name in (f.name, f.attname)), None)
    if field is None:
        raise ValueError(f"{meta.label} has no column {name!r}")
    if field.is_relation and name != field.attname:
        raise ValueError(f"{meta.label}.{name}: give the foreign key by its id, {field.attname}")
    return field


def _plain_type(field: models.Field) -> type | None:
    """The Python type the driver takes as it is for `field`, None if every value converts."""
    return _AS_IS.get(type(_plain(field)))
