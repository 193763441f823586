"""The JSON interchange format (`"format": "prepgraph/1"`), declared once.

pydantic declares the shape and types, so a bad file is reported field by
field with its place (`concepts[3].hours`), and the README's JSON Schema is
generated from these classes rather than written twice. Cross-record checks
(unknown slugs, duplicates, cycles) live in kb.io, which knows the database.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kb.models import Area, ResourceKind, Role

FORMAT = "prepgraph/1"

Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)
]
# PostgreSQL text cannot hold NUL, so no string in a file may contain one.
NoNul = StringConstraints(pattern=r"^[^\x00]*$")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), NoNul]
Free = Annotated[str, NoNul]
AreaName = Literal[tuple(Area.values)]  # type: ignore[valid-type]
ResourceKindName = Literal[tuple(ResourceKind.values)]  # type: ignore[valid-type]
RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]
Weight = Annotated[float, Field(gt=0, le=1)]
Minutes = Annotated[int, Field(ge=5, le=480)]


class Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)


class StageRecord(Record):
    slug: Slug
    title: Annotated[Text, StringConstraints(max_length=120)]
    description: Free = ""
    typical_minutes: Minutes
    research_only: bool = False
    order: Annotated[int, Field(ge=0)] = 0


class ConceptRecord(Record):
    slug: Slug
    title: Annotated[Text, StringConstraints(max_length=200)]
    aliases: list[Text] = []
    summary: Free = ""
    area: AreaName
    hours: Annotated[float, Field(gt=0, le=200)] | None = None
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
    slug: Slug
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
