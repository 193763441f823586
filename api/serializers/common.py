"""Pieces every part of the API uses: the error envelope, slugs, HH:MM times, slug lists."""

import re
from datetime import time

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kb.vocabulary import SLUG_LIST_PATTERN, SLUG_PATTERN

HHMM_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_SLUGS = 200


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. prerequisite_cycle.")
    message = serializers.CharField(help_text="What went wrong, naming the field at fault.")
    details = serializers.DictField(
        help_text="Structured context: `field` (and `fields`) for bad input, `cycle`, "
        "`dependents`, `problems`, `wait`, ..."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()


# --- JSON bodies: types as the schema says, no coercion ----------------------------------------
# DRF coerces "true" and 1 to True, "5" to 5, and 5 to "5". A body the schema calls invalid
# must be refused, or clients come to rely on the coercion; these fields take JSON types only.
# (Query strings are text by nature and keep DRF's parsing.)


class _JSONType:
    json_types: tuple[type, ...] = ()
    json_name = ""

    def to_internal_value(self, data):
        if isinstance(data, bool) != (bool in self.json_types) or not isinstance(
            data, self.json_types
        ):
            raise serializers.ValidationError(f"Must be a JSON {self.json_name}.", code="invalid")
        return super().to_internal_value(data)


class StrictBooleanField(_JSONType, serializers.BooleanField):
    json_types, json_name = (bool,), "boolean (true or false)"


class StrictIntegerField(_JSONType, serializers.IntegerField):
    json_types, json_name = (int,), "integer"


class StrictFloatField(_JSONType, serializers.FloatField):
    json_types, json_name = (int, float), "number"


class StrictDecimalField(_JSONType, serializers.DecimalField):
    json_types, json_name = (int, float), "number"


class StrictCharField(_JSONType, serializers.CharField):
    json_types, json_name = (str,), "string"


class StrictRegexField(_JSONType, serializers.RegexField):
    json_types, json_name = (str,), "string"


class StrictURLField(_JSONType, serializers.URLField):
    json_types, json_name = (str,), "string"


class StrictDateField(_JSONType, serializers.DateField):
    json_types, json_name = (str,), "date string (YYYY-MM-DD)"


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, as the JSON type of the choices (2, not "2")."""

    def to_internal_value(self, data):
        if data in ("", None) or any(
            type(data) is type(choice) and data == choice for choice in self.choices
        ):
            return super().to_internal_value(data)
        self.fail("invalid_choice", input=data)


def slug_field(**kwargs) -> serializers.RegexField:
    kwargs.setdefault("max_length", 80)
    return StrictRegexField(
        SLUG_PATTERN,
        error_messages={"invalid": "Use lowercase letters, digits and single hyphens."},
        **kwargs,
    )


class ExistingSlugField(StrictRegexField):
    """A slug that must name a row of `queryset`; the row is the validated value.

    The slug's format is checked before the database is asked, so no string that
    PostgreSQL cannot even compare (a NUL byte) ever reaches a query.
    """

    def __init__(self, *, queryset, noun: str, **kwargs):
        kwargs.setdefault("max_length", 80)
        super().__init__(
            SLUG_PATTERN,
            error_messages={"invalid": "Use lowercase letters, digits and single hyphens."},
            **kwargs,
        )
        self.queryset, self.noun = queryset, noun

    def run_validation(self, data=serializers.empty):
        slug = super().run_validation(data)
        if not isinstance(slug, str):
            return slug  # None or a default
        row = self.queryset.filter(slug=slug).first()
        if row is None:
            raise serializers.ValidationError(f"Unknown {self.noun} {slug!r}.", code="unknown")
        return row

    def to_representation(self, value) -> str:
        return value.slug if hasattr(value, "slug") else str(value)


class HourMinuteField(StrictRegexField):
    """A local wall-clock time as "HH:MM" (in and out)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Local time, HH:MM (24-hour).")
        super().__init__(
            HHMM_PATTERN, error_messages={"invalid": "Use HH:MM, e.g. 09:30."}, **kwargs
        )

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)  # the pattern is checked by then
        return time.fromisoformat(value) if isinstance(value, str) else value

    def to_representation(self, value) -> str:
        return value.strftime("%H:%M") if isinstance(value, time) else str(value)[:5]


@extend_schema_field(
    {
        "type": "string",
        "pattern": SLUG_LIST_PATTERN,
        "maxLength": MAX_SLUGS * 81,
        "description": "Comma-separated concept slugs, e.g. python-for-ml,linear-algebra.",
    }
)
class SlugListField(serializers.Field):
    """A comma-separated list of slugs in a query string: `?known=python,linear-algebra`.

    "" is the empty list. A plain Field, not a CharField, so that the schema is exactly
    the one declared above (CharField would add length rules of its own).
    """

    _pattern = re.compile(SLUG_LIST_PATTERN)
    default_error_messages = {
        "invalid": "Give comma-separated slugs (lowercase letters, digits, single hyphens), "
        "e.g. softmax,self-attention.",
        "too_many": f"At most {MAX_SLUGS} slugs.",
        "too_long": f"At most {MAX_SLUGS * 81} characters.",
    }

    def to_internal_value(self, data) -> list[str]:
        if isinstance(data, str) and len(data) > MAX_SLUGS * 81:
            self.fail("too_long")
        if not isinstance(data, str) or not self._pattern.fullmatch(data):
            self.fail("invalid")
        slugs = [slug for slug in data.split(",") if slug]
        if len(slugs) > MAX_SLUGS:
            self.fail("too_many")
        return list(dict.fromkeys(slugs))

    def to_representation(self, value) -> str:
        return ",".join(value)


def with_field_first(fields: dict, name: str, field) -> dict:
    """`fields` plus `name` (a Python keyword such as "from"), first or right after the id."""
    head = {"id": fields.pop("id")} if "id" in fields else {}
    return {**head, name: field, **fields}
