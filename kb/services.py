"""Concept writes outside an import: create and update one concept.

Every field is checked with the model's full_clean (slug format, unique slug,
area and difficulty choices, hours range), so a bad value raises Django's
ValidationError naming the field and nothing is written. Edges are not
written here (kb.integrity is their one gate), nor is the graph revision:
kb.revision's signals change it on every save.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from kb.models import Concept, InterviewStage

EDITABLE = ("title", "aliases", "summary", "area", "hours", "difficulty")


@transaction.atomic
def concept_create(
    *,
    slug: str,
    title: str,
    area: str,
    aliases: Iterable[str] = (),
    summary: str = "",
    hours: Decimal | float | None = None,
    difficulty: int = 2,
    stages: Iterable[InterviewStage] = (),
) -> Concept:
    concept = Concept(
        slug=slug,
        title=title,
        area=area,
        aliases=list(aliases),
        summary=summary,
        hours=hours,
        difficulty=difficulty,
    )
    concept.full_clean()
    concept.save()
    concept.stages.set(list(stages))
    return concept


@transaction.atomic
def concept_update(
    *, concept: Concept, stages: Iterable[InterviewStage] | None = None, **changes: Any
) -> Concept:
    """Change the given fields (the slug is a concept's identity and never changes)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TypeError(f"concept_update: not editable: {', '.join(unknown)}")
    for name, value in changes.items():
        setattr(concept, name, list(value) if name == "aliases" else value)
    concept.full_clean()
    concept.save()
    if stages is not None:
        concept.stages.set(list(stages))
    return concept
