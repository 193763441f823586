"""Writing many rows of one model in one statement, without a model instance per row.

A plan is a hundred or so items written at once. `QuerySet.bulk_create` builds a
model instance per row and prepares every field of every row through the field's
conversion chain: about 6 ms a plan here, more than storing it costs the database.
`insert_rows` takes plain tuples and converts only the fields whose Python value is
not what the database driver takes as it is (dates on SQLite, for one), then writes
them as multi-row INSERTs. What bulk_create does not do either (save signals, `full_clean`)
it does not do; constraints are the database's, as for any write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

from django.db import connections, models, router

# Fields whose values the drivers (sqlite3, psycopg) take as they are, for non-None values
# of the field's own Python type: no per-value conversion needed.
_AS_IS = (
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
)


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """INSERT `rows` (tuples of values for `fields`, by field name; a foreign key by its
    attname, such as `plan_id`) into `model`'s table; the number of rows written.

    A field left out gets its model default, as with bulk_create; the primary key
    comes from the database. Run it inside the caller's transaction: the rows go in
    as few statements as the backend's parameter limit allows, all or nothing with
    the rest of the caller's writes.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    given = {name: _field(meta, name) for name in fields}
    defaults = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.attname not in given
    ]
    for field in defaults:
        per_row = field.has_default() and callable(field.default)
        if per_row or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            # A value per row (uuid4, now): the caller gives it in `fields`.
            raise ValueError(f"{meta.label}.{field.name}: give it, its default is per row")
    columns = [*given.values(), *defaults]
    convert = [
        None if _passes_as_is(field) else _converter(field, connection) for field in given.values()
    ]
    fixed = tuple(field.get_db_prep_save(field.get_default(), connection) for field in defaults)
    prepared = [
        tuple(
            value if how is None or value is None else how(value)
            for value, how in zip(row, convert, strict=True)
        )
        + fixed
        for row in rows
    ]
    if not prepared:
        return 0
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(meta.db_table), ", ".join(quote(field.column) for field in columns)
    )
    one = "({})".format(", ".join(["%s"] * len(columns)))
    size = max(1, connection.ops.bulk_batch_size(columns, prepared))
    with connection.cursor() as cursor:
        # One statement per batch, many rows each: executemany would be one statement
        # per row, a round trip each on PostgreSQL.
        for start in range(0, len(prepared), size):
            batch = prepared[start : start + size]
            cursor.execute(head + ", ".join([one] * len(batch)), list(chain.from_iterable(batch)))
    return len(prepared)


def _field(meta, name: str) -> models.Field:
    field = next((f for f in meta.concrete_fields if name in (f.name, f.attname)), None)
    if field is None:
        raise ValueError(f"{meta.label} has no column {name!r}")
    if field.is_relation and name != field.attname:
        raise ValueError(f"{meta.label}.{name}: give the foreign key by its id, {field.attname}")
    return field


def _passes_as_is(field: models.Field) -> bool:
    if field.is_relation:
        return _passes_as_is(field.target_field)
    return isinstance(field, _AS_IS)


def _converter(field: models.Field, connection) -> Any:
    def convert(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return convert
