"""Model fields of our own."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.json import Jsonb

# What json.dumps refuses (a datetime, a dataclass) or writes its own way (a str or int
# subclass, a key that is not a string) orjson hands back to `_refuse`, or refuses
# itself, so it goes to json.dumps as before.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def orjson_or_json_dumps(value: Any) -> bytes | str:
    """orjson's JSON for `value`, or json.dumps's wherever the two would differ."""
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except orjson.JSONEncodeError:  # a type above, an integer beyond 64 bits: as before
        return json.dumps(value)


class LargeJSONField(models.JSONField):
    """Django's JSONField, its documents written by orjson on PostgreSQL.

    A plan's summary is some 50 KB: json.dumps takes 0.45 ms for it, in a request whose
    whole budget is 25 ms, and orjson a tenth of that. jsonb keeps the parsed document,
    not its text, so the spacing and escapes orjson writes differently never reach the
    column. A value json.dumps refuses or writes its own way still goes to json.dumps
    (a datetime, a dataclass, a subclass, a key that is not a string, an integer beyond
    64 bits), with three exceptions orjson writes where json.dumps and jsonb refuse: a
    UUID and an Enum are stored as their text and value, a NaN or an infinity as null.
    SQLite keeps the text, so there it is as before. The column is a JSONField's, and
    migrations see one (`deconstruct`).
    """

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        adapted = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or self.encoder is not None:
            return adapted
        if type(adapted) is Jsonb:
            return Jsonb(adapted.obj, dumps=orjson_or_json_dumps)
        return adapted
