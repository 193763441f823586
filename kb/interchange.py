"""The JSON interchange format (`"format": "prepgraph/1"`), declared once.

pydantic declares the shape and types, so a bad file is reported field by
field with its place (`concepts[3].hours`), and the README's JSON Schema is
generated from these classes rather than written twice. Cross-record checks
(unknown slugs, duplicates, cycles) live in kb.io, which knows the database.

Every bound here is at least as strict as the column the value lands in (length,
integer range, the decimal places of `hours`): the import writes with bulk
operations that skip model validation, so a value the file format let through
but the database refused would surface as a raw IntegrityError or DataError
instead of a problem with its place in the file.
"""

import json
import re
from decimal import Decimal
from itertools import accumulate
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from kb.models import Area, Concept, ResourceKind, Role
from kb.vocabulary import SLUG_PATTERN

FORMAT = "prepgraph/1"

# --- JSON nesting --------------------------------------------------------------------------

# The format itself is 4 levels deep and API requests fewer. Python's json
# recurses once per level and raises RecursionError near 1000, and anything that
# walks the parsed value recursively fails earlier, so a request nested ~950
# deep was a 500. The limit is checked on the text before it is parsed.
MAX_JSON_DEPTH = 64

# A string, its closing quote optional: an unterminated one is consumed to the end, so no
# position is scanned twice and the cost stays linear even for malformed text.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than MAX_JSON_DEPTH; the message says so for the user."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"JSON is nested deeper than {limit} levels")


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of `text` nest, without parsing it.

    Linear and C-speed (~4 ms for the 0.4 MB shipped graph): strings are cut out
    first, so brackets inside them do not count. Malformed text gets a number
    too; json reports what is wrong with it.
    """
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def load_json(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads`, but JSONTooDeep for text nested deeper than MAX_JSON_DEPTH.

    Bytes are decoded the way json.loads decodes them (UTF-8, -16 or -32 by
    their first bytes), so UnicodeDecodeError still reaches the caller.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
        raise JSONTooDeep()
    try:
        return json.loads(text, **kwargs)
    except RecursionError:  # only if MAX_JSON_DEPTH were raised close to the recursion limit
        raise JSONTooDeep() from None


# --- records -------------------------------------------------------------------------------

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=80)]
# Stage and track slugs are shorter columns (60); PostgreSQL refuses a longer value.
ShortSlug = Annotated[Slug, StringConstraints(max_length=60)]
# PositiveIntegerField's range on every backend Django supports.
MAX_POSITIVE_INT = 2_147_483_647
# PostgreSQL text cannot hold NUL, so no string in a file may contain one.
NoNul = StringConstraints(pattern=r"^[^\x00]*$")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), NoNul]
Free = Annotated[str, NoNul]
AreaName = Literal[tuple(Area.values)]  # type: ignore[valid-type]
ResourceKindName = Literal[tuple(ResourceKind.values)]  # type: ignore[valid-type]
RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]
Weight = Annotated[float, Field(gt=0, le=1)]
Minutes = Annotated[int, Field(ge=5, le=480)]

_HOURS_FIELD = Concept._meta.get_field("hours")
HOURS_STEP = Decimal(1).scaleb(-_HOURS_FIELD.decimal_places)  # 0.01


def hours_decimal(value: float) -> Decimal:
    """`value` as Concept.hours stores it: rounded to the column's decimal places."""
    return Decimal(str(value)).quantize(HOURS_STEP)


def _hours_survive_rounding(value: float) -> float:
    """Refuse hours that are positive in the file but round to 0.00 in the column.

    `gt=0` alone let 0.004 through, and the CHECK constraint then failed mid-import.
    """
    if hours_decimal(value) <= 0:
        raise PydanticCustomError(
            "hours_round_to_zero",
            "{value} rounds to 0 hours; give at least {step}",
            {"value": value, "step": str(HOURS_STEP)},
        )
    return value


Hours = Annotated[float, Field(gt=0, le=200), AfterValidator(_hours_survive_rounding)]


class Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)


class StageRecord(Record):
    slug: ShortSlug
    title: Annotated[Text, StringConstraints(max_length=120)]
    description: Free = ""
    typical_minutes: Minutes
    research_only: bool = False
    order: Annotated[int, Field(ge=0, le=MAX_POSITIVE_INT)] = 0
    essentials: list[Slug] = []


class ConceptRecord(Record):
    slug: Slug
    title: Annotated[Text, StringConstraints(max_length=200)]
    aliases: list[Text] = []
    summary: Free = ""
    area: AreaName
    hours: Hours | None = None
    difficulty: Literal[1, 2, 3] = 2
    stages: list[Slug] = []


class EdgeRecord(Record):
    prerequisite: Slug = Field(alias="from")
    concept: Slug = Field(alias="to")
    kind: Literal["required", "recommended"] = "required"
    reason: Annotated[str, StringConstraints(max_length=300), NoNul] = ""


class ResourceRecord(Record):
    title: Annotated[Text, StringConstraints(max_length=300)]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]
    kind: ResourceKindName
    minutes: Annotated[int, Field(ge=1, le=100_000)]
    concepts: Annotated[list[Slug], Field(min_length=1)]


class QuestionRecord(Record):
    slug: Slug
    text: Text
    stage: Slug
    concepts: Annotated[list[Slug], Field(min_length=1)]
    source: Annotated[str, StringConstraints(max_length=300), NoNul] = ""
    answer_outline: Free = ""


class WeightedConcept(Record):
    concept: Slug
    weight: Weight


class TrackRecord(Record):
    slug: ShortSlug
    title: Annotated[Text, StringConstraints(max_length=120)]
    description: Free = ""
    concepts: Annotated[list[WeightedConcept], Field(min_length=1)]


class WeightedTrack(Record):
    track: Slug
    weight: Weight


class LoopStep(Record):
    stage: Slug
    minutes: Minutes


class TeamRecord(Record):
    slug: Slug
    name: Annotated[Text, StringConstraints(max_length=200)]
    description: Free = ""
    role: RoleName
    tracks: Annotated[list[WeightedTrack], Field(min_length=1)]
    loop: Annotated[list[LoopStep], Field(min_length=1)]
    # Concepts of the team's tracks that every loop asks about: plans learn them first.
    must_have: list[Slug] = []


class BackgroundRecord(Record):
    """A candidate's starting point: what a plan may assume known or only review.

    Known concepts imply their required prerequisites, so list the highest ones
    such a person truly knows; an area stands for every concept in it.
    """

    slug: ShortSlug
    title: Annotated[Text, StringConstraints(max_length=120)]
    description: Free = ""
    known_concepts: list[Slug] = []
    shaky_concepts: list[Slug] = []
    known_areas: list[AreaName] = []
    shaky_areas: list[AreaName] = []


class Interchange(Record):
    """A whole file. Every section is optional, so a file may add a few concepts only."""

    format: Literal["prepgraph/1"]
    stages: list[StageRecord] = []
    concepts: list[ConceptRecord] = []
    edges: list[EdgeRecord] = []
    resources: list[ResourceRecord] = []
    questions: list[QuestionRecord] = []
    tracks: list[TrackRecord] = []
    teams: list[TeamRecord] = []
    backgrounds: list[BackgroundRecord] = []
