"""What a candidate's background lets a plan assume: the known and the shaky concepts.

Without it, "I already work in ML" meant typing a hundred slugs into --known,
and every team plan "needed" some 300 hours. A background preset
(kb.models.Background), whole areas and named concepts now all say "skip this"
or "only review this"; `assume` turns them into the two sets planner.core
takes, plus one sentence saying what was assumed, so a plan that needs 40 h
instead of 300 h says why, and an interviewer-minded reader can object.

The expansion itself (`assume`, `plan_scope`, `Preset`) lives in kb.backgrounds, so
the knowledge-base pages expand a background exactly as plans do; this module
re-exports it, reports an unknown area as the plan input at fault, and holds
`load_preset` and `for_inputs`, the thin database side that services calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kb import backgrounds as kb_backgrounds
from kb import graph as kb_graph
from kb.backgrounds import (  # noqa: F401  (re-exported: planner code and tests use them)
    NOTHING,
    SHAKY_NAMED,
    Assumptions,
    Preset,
    UnknownArea,
    backgrounds_with_concepts,
    plan_scope,
    preset_of,
    presets,
)
from kb.models import Background
from planner.core import PlanInputError

if TYPE_CHECKING:
    import networkx as nx

    from planner.services import PlanInputs


def assume(graph: nx.DiGraph, **options: Any) -> Assumptions:
    """kb.backgrounds.assume, with an unknown area a PlanInputError naming the field."""
    try:
        return kb_backgrounds.assume(graph, **options)
    except UnknownArea as error:
        raise PlanInputError(error.field, error.reason) from None


def load_preset(slug: str) -> Preset:
    """The stored background `slug`; PlanInputError naming the field and the choices if none."""
    # Every preset in one read per KB revision and process (a handful of rows): an
    # unknown slug is remembered by nothing, and answered with the choices each time.
    found = kb_graph.per_revision("presets by slug", _stored_presets).get(slug)
    if found is not None:
        return found
    choices = list(Background.objects.order_by("slug").values_list("slug", flat=True))
    hint = f"one of: {', '.join(choices)}" if choices else "none are stored (import some)"
    raise PlanInputError("background", f"unknown background {slug!r}; {hint}")


def _stored_presets() -> dict[str, Preset]:
    return {row.slug: preset_of(row) for row in backgrounds_with_concepts()}


def for_inputs(inputs: PlanInputs, relevance: Mapping[str, float]) -> Assumptions:
    """The background, areas and concepts of `inputs`, against the current KB.

    `relevance` holds the plan's targets; shaky concepts from a preset or an
    area are reviewed only within what the targets rest on (see `assume`).
    """
    if not (
        inputs.background
        or inputs.known_areas
        or inputs.shaky_areas
        or inputs.known
        or inputs.shaky
        or inputs.learned
        or inputs.refreshed
    ):
        return NOTHING
    preset = load_preset(inputs.background) if inputs.background else None
    graph = kb_graph.current_graph()
    return assume(
        graph,
        preset=preset,
        known=inputs.known,
        shaky=inputs.shaky,
        known_areas=inputs.known_areas,
        shaky_areas=inputs.shaky_areas,
        learned=inputs.learned,
        refreshed=inputs.refreshed,
        targets=inputs.targets,
        scope=plan_scope(graph, relevance, include_recommended=inputs.include_recommended),
    )
