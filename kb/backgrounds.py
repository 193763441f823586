"""What a background lets a study plan or a learning order assume: known and shaky concepts.

A background preset (kb.models.Background), whole areas and named concepts all say
"skip this" or "only review this"; `assume` turns them into two sets plus one sentence
saying what was assumed. It lives in kb, not in the planner, because the knowledge-base
pages show a track's or team's learning order for a background too, and kb never
imports the planner: both must expand a background the same way. planner.background
re-exports it and reports an unknown area as the plan input at fault.

`assume` and `plan_scope` are pure (a graph and plain values in, values out);
`presets` and `backgrounds_with_concepts` are the thin database side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import networkx as nx
from django.db.models import Prefetch, QuerySet

from kb.dag import by_position, check_known, edge_kinds, known_closure, upstream_closure
from kb.errors import ApplicationError
from kb.models import Area, Background, Concept


class UnknownArea(ApplicationError):
    """An area name outside kb.models.Area, in the input `field`."""

    code = "unknown_area"

    def __init__(self, field: str, area: str) -> None:
        self.field = field
        self.reason = f"unknown area {area!r}; one of: {', '.join(Area.values)}"
        super().__init__(f"{field}: {self.reason}", details={"field": field})


SHAKY_NAMED = 8  # shaky concepts named in the statement; the rest are counted


@dataclass(frozen=True)
class Preset:
    """A stored Background as plain data, so `assume` needs no database."""

    slug: str
    title: str
    known_concepts: tuple[str, ...] = ()
    shaky_concepts: tuple[str, ...] = ()
    known_areas: tuple[str, ...] = ()
    shaky_areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assumptions:
    """What a plan may take as given.

    known: skipped, with everything they require (the core's known closure).
    shaky: reviewed briefly instead of learned.
    statement: the human account of both, for the plan summary; None when
        nothing at all was assumed.
    """

    known: frozenset[str]
    shaky: frozenset[str]
    statement: str | None


NOTHING = Assumptions(frozenset(), frozenset(), None)


def plan_scope(
    graph: nx.DiGraph, targets: Iterable[str], *, include_recommended: bool = False
) -> set[str]:
    """The targets and every concept they rest on: what a plan could ever schedule."""
    targets = check_known(graph, targets, field="targets")
    kinds = edge_kinds(include_recommended)
    return set(upstream_closure(graph, targets, kinds=kinds))


def _areas(values: Iterable[str], field: str) -> set[str]:
    values = list(values)
    unknown = [area for area in values if area not in Area.values]
    if unknown:
        raise UnknownArea(field, unknown[0])
    return set(values)


def _in_areas(graph: nx.DiGraph, areas: Collection[str]) -> set[str]:
    if not areas:
        return set()
    return {slug for slug, area in graph.nodes(data="area") if area in areas}


def assume(
    graph: nx.DiGraph,
    *,
    preset: Preset | None = None,
    known: Iterable[str] = (),
    shaky: Iterable[str] = (),
    known_areas: Iterable[str] = (),
    shaky_areas: Iterable[str] = (),
    learned: Iterable[str] = (),
    refreshed: Iterable[str] = (),
    targets: Iterable[str] = (),
    scope: Collection[str] | None = None,
) -> Assumptions:
    """The known and shaky sets a plan should use, and the sentence that says so.

    Sources add up: the preset's concepts and areas, and on top of them the
    candidate's own (--known, --shaky, --known-areas, --shaky-areas), and on a
    replan the concepts learned so far in the plan (`learned`, known like the
    candidate's own; one since removed from the knowledge base is passed over)
    and the shaky ones it has refreshed (`refreshed`: never refreshed again, but
    a refresher of the Transformer says nothing of attention, so the shaky
    concepts under it keep their own refreshers).

    Precedence:

    1. Knowing a concept implies knowing its required prerequisites, and so
       does being shaky on it (the core's known closure): all of that closure
       is skipped as learning.
    2. Shaky wins within one source. A concept the candidate calls shaky is
       reviewed even if they also call it known (by name, by area or through
       a known concept's prerequisites); likewise within the preset. A review
       costs a quarter of an hour; a topic wrongly skipped can cost the
       interview.
    3. The candidate's own known concepts and areas, with their required
       prerequisites, overrule the preset's shaky ones: the preset is a
       default they are refining ("ML engineer, but I know my maths"), and a
       concept learned in the plan must not come back as a refresher.
    4. Shaky concepts that come from an area or the preset are reviewed only
       inside `scope` (the targets and what they rest on, `plan_scope`):
       "rusty on NLP" must not fill an ads-ranking plan with NLP refreshers.
       Outside it they count as known, so what they imply still holds.
       Concepts named with --shaky are always reviewed.
    5. A target asked for by name is learned in full, whatever a preset or an area
       assumes of it, unless the candidate named it known or shaky themselves (or the
       plan has taught it already).

    Unknown areas raise UnknownArea naming the field; unknown concepts
    UnknownConcept naming `known`, `shaky` or `background`.
    """
    named_known = check_known(graph, known, field="known")
    named_shaky = check_known(graph, shaky, field="shaky")
    own_known_areas = _areas(known_areas, "known_areas")
    own_shaky_areas = _areas(shaky_areas, "shaky_areas")
    preset_known: set[str] = set()
    preset_shaky: set[str] = set()
    if preset is not None:
        preset_known = set(check_known(graph, preset.known_concepts, field="background"))
        preset_known |= _in_areas(graph, _areas(preset.known_areas, "background"))
        preset_shaky = set(check_known(graph, preset.shaky_concepts, field="background"))
        preset_shaky |= _in_areas(graph, _areas(preset.shaky_areas, "background"))
    learned_here = {slug for slug in learned if slug in graph}
    refreshed_here = {slug for slug in refreshed if slug in graph} - learned_here
    own_known = set(named_known) | _in_areas(graph, own_known_areas) | learned_here
    own_shaky = set(named_shaky) | _in_areas(graph, own_shaky_areas)
    anything = own_known or own_shaky or refreshed_here or own_known_areas or own_shaky_areas
    if not (anything or preset):
        return NOTHING

    skipped = known_closure(
        graph, own_known | own_shaky | preset_known | preset_shaky | refreshed_here
    )
    own_say = set(named_known) | set(named_shaky) | learned_here | refreshed_here
    skipped -= {slug for slug in targets if slug not in own_say}
    in_scope = skipped if scope is None else skipped & set(scope)
    broad_shaky = (own_shaky - set(named_shaky)) | (preset_shaky - known_closure(graph, own_known))
    # What the plan already taught or refreshed is never refreshed again.
    reviewed = (set(named_shaky) | (broad_shaky & in_scope)) - learned_here - refreshed_here
    label = _label(
        preset,
        own_known_areas,
        own_shaky_areas,
        named_known,
        named_shaky,
        learned_here | refreshed_here,
    )
    statement = _statement(
        graph, label, in_scope - reviewed, reviewed, None if scope is None else len(scope)
    )
    return Assumptions(frozenset(skipped - reviewed), frozenset(reviewed), statement)


def _label(
    preset: Preset | None,
    known_areas: Collection[str],
    shaky_areas: Collection[str],
    named_known: Collection[str],
    named_shaky: Collection[str],
    learned: Collection[str] = (),
) -> str:
    """Where the assumptions come from: "ML engineer background, known areas math,
    2 concepts named, 5 learned so far"."""
    parts = []
    if preset is not None:
        parts.append(f"{preset.title} background")
    if known_areas:
        parts.append("known areas " + ", ".join(sorted(known_areas)))
    if shaky_areas:
        parts.append("shaky areas " + ", ".join(sorted(shaky_areas)))
    named = len(set(named_known) | set(named_shaky))
    if named:
        parts.append(f"{named} concept{'s' if named != 1 else ''} named")
    if learned:
        parts.append(f"{len(learned)} learned so far")
    return ", ".join(parts)


def _by_area(graph: nx.DiGraph, slugs: Iterable[str]) -> str:
    """ "ML fundamentals (20), Deep learning (12)": most first, then by name."""
    counts = Counter(graph.nodes[slug]["area"] for slug in slugs)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    labels = dict(Area.choices)
    return ", ".join(f"{labels.get(area, area)} ({count})" for area, count in ordered)


def _statement(
    graph: nx.DiGraph, label: str, known: set[str], shaky: set[str], scope_size: int | None
) -> str:
    """One sentence: how much is assumed known, by area, and which concepts only get a review."""
    count = len(known)
    noun = "concept" if count == 1 else "concepts"
    if scope_size is None:
        amount = f"{count} {noun}"
    else:
        amount = f"{count} of the {scope_size} concepts this plan draws on"
    text = f"Assumed known ({label}): {amount}"
    if known:
        text += f", in {_by_area(graph, known)}"
    if shaky:
        ordered = by_position(graph, shaky)
        named = ", ".join(graph.nodes[slug].get("title", slug) for slug in ordered[:SHAKY_NAMED])
        more = len(ordered) - SHAKY_NAMED
        text += f"; shaky, so reviewed rather than learned ({len(ordered)}): {named}"
        if more > 0:
            text += f" and {more} more"
    return text + "."


# --- the database side --------------------------------------------------------------------


def backgrounds_with_concepts() -> QuerySet[Background]:
    """Background rows with their known and shaky concepts (slugs only): three queries."""
    slugs = Concept.objects.only("id", "slug")
    return Background.objects.order_by("slug").prefetch_related(
        Prefetch("known_concepts", queryset=slugs), Prefetch("shaky_concepts", queryset=slugs)
    )


def preset_of(row: Background) -> Preset:
    """A stored background as plain data (its concepts must be prefetched)."""
    return Preset(
        slug=row.slug,
        title=row.title,
        known_concepts=tuple(sorted(c.slug for c in row.known_concepts.all())),
        shaky_concepts=tuple(sorted(c.slug for c in row.shaky_concepts.all())),
        known_areas=tuple(row.known_areas or ()),
        shaky_areas=tuple(row.shaky_areas or ()),
    )


def presets() -> list[tuple[Background, Preset]]:
    """Every stored background with its preset, in slug order: three queries."""
    return [(row, preset_of(row)) for row in backgrounds_with_concepts()]
