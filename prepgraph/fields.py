"""Model fields of our own."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.json import Jsonb

# What json.dumps refuses (a datetime, a dataclass, a str or int subclass it writes its own
# way) orjson hands back to `_refuse`, so it goes to json.dumps as before.
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
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
    column. A value orjson would write where json.dumps refuses it (a datetime, a
    dataclass) still goes to json.dumps and its error; one difference: a NaN, which
    jsonb refuses, is stored as null. SQLite keeps the text, so there it is as before.
    """

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        adapted = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or self.encoder is not None:
            return adapted
        if type(adapted) is Jsonb:
            return Jsonb(adapted.obj, dumps=orjson_or_json_dumps)
        return adapted
