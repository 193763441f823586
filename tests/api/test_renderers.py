"""api.renderers.JSONRenderer writes what DRF's JSONRenderer writes, faster: the same
bytes, but for the notation of very small or large floats (the same numbers)."""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from api.renderers import JSONRenderer

ODD_VALUES = {
    "aware": datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
    "naive": datetime(2026, 12, 1, 9, 30),
    "day": date(2026, 12, 1),
    "clock": time(7, 15),
    "span": timedelta(minutes=90),
    "money": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Plans"),
    "set": {3},
    "tuple": (1, "two", None, True, 2.5),
    "separators": "line\u2028paragraph\u2029end",
    "unicode": "Zürich ✓ 東京",
    "int keys": {1: "one", 2: "two"},
    "returned": ReturnDict({"a": 1}, serializer=None),
    "big": 2**70,
}


def both(data, media_type=None):
    return (
        JSONRenderer().render(data, media_type, {}),
        DRFJSONRenderer().render(data, media_type, {}),
    )


def test_every_kind_of_value_comes_out_as_drf_writes_it():
    ours, drf = both(ODD_VALUES)
    assert ours == drf
    assert b"\\u2028" in ours and b"\xe2\x80\xa8" not in ours


def test_indented_answers_are_drfs_own():
    ours, drf = both({"a": [1, {"b": 2}]}, "application/json; indent=2")
    assert ours == drf
    assert b"\n  " in ours


def test_nothing_renders_as_no_body():
    assert JSONRenderer().render(None) == b""


def test_a_nan_is_null_where_drf_refuses_it():
    """The one accepted difference: DRF's strict JSON raises (a 500), orjson writes null."""
    with pytest.raises(ValueError):
        DRFJSONRenderer().render({"x": float("nan")})
    assert JSONRenderer().render({"x": float("nan"), "y": float("inf")}) == b'{"x":null,"y":null}'


def test_what_neither_can_write_fails_as_drf_fails():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


def floats_in(value) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [found for item in value for found in floats_in(item)]
    return []


@given(json_values)
def test_any_json_value_comes_out_as_drf_writes_it(value):
    ours, drf = both([value])  # None alone is no body at all
    assert json.loads(ours) == json.loads(drf)
    # Python writes 6.103515625e-05 where orjson writes 0.00006103515625: the same number.
    # Within the range Python writes without an exponent, the bytes are the same.
    if all(x == 0 or 1e-4 <= abs(x) < 1e15 for x in floats_in(value)):
        assert ours == drf


@pytest.mark.django_db
def test_a_whole_plan_answer_is_the_same_bytes(small_kb, client_alice):
    from tests.api.test_plans import URL, plan_body

    answer = client_alice.post(URL, plan_body(), format="json")
    assert answer.status_code == 201
    ours, drf = both(answer.json())
    assert ours == drf == answer.content
