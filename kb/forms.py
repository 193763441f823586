"""The query-string controls of the knowledge-base pages, read leniently.

Every control is a GET parameter, so a graph, a filtered list or a learning order is a
link that works without JavaScript. A bad value (`depth=99`, a track that does not
exist) must not cost the reader the page: `read` keeps the good values, puts the
default in place of each bad one, and returns one message per bad value saying what
was shown instead, with the slugs a mistyped one probably meant.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
from django import forms
from django.http import QueryDict

from kb import pages
from kb import search as kb_search
from kb.errors import did_you_mean
from kb.models import Area

TRUE, FALSE = "true", "false"
EDGE_CHOICES = [(TRUE, "Required and recommended"), (FALSE, "Required only")]


def _depth_choices(low: int, high: int, noun: str) -> list[tuple[int, str]]:
    return [(n, f"{n} {noun}{'s' if n != 1 else ''}") for n in range(low, high + 1)]


@dataclass(frozen=True)
class Controls:
    """The values a page uses, and what was wrong with the ones asked for."""

    values: dict[str, Any]
    problems: list[str]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def read(
    data: QueryDict | Mapping[str, str],
    fields: Mapping[str, Callable[[str], Any]],
    defaults: Mapping[str, Any],
) -> Controls:
    """Each field's parsed value, or its default with a message when it cannot be parsed.

    `fields` maps a parameter to a parser that raises ValueError with the message to
    show; a parameter left out or empty takes its default silently.
    """
    values, problems = dict(defaults), []
    for name, parse in fields.items():
        raw = data.get(name, "")
        if raw == "":
            continue
        try:
            values[name] = parse(raw)
        except ValueError as error:
            problems.append(str(error))
    return Controls(values, problems)


def depth_parser(low: int, high: int, default: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(
                f"Depth must be a whole number from {low} to {high}, not {raw[:20]!r}; "
                f"showing depth {default}."
            )
        return value

    return parse


def edges_parser(default: bool) -> Callable[[str], bool]:
    """`recommended`: "true" to draw recommended edges too, "false" for required ones only."""
    shown = "both" if default else "required edges only"

    def parse(raw: str) -> bool:
        if raw not in (TRUE, FALSE):
            raise ValueError(
                f"Edges must be {TRUE!r} (required and recommended) or {FALSE!r} (required "
                f"only), not {raw[:20]!r}; showing {shown}."
            )
        return raw == TRUE

    return parse


def slug_parser(
    noun: str, candidates: Sequence[kb_search.Entry], shown_instead: str
) -> Callable[[str], str]:
    """A parser that accepts the slug of one of `candidates` (tracks, teams, backgrounds)."""
    known = {entry.slug for entry in candidates}

    def parse(raw: str) -> str:
        if raw in known:
            return raw
        hint = did_you_mean(kb_search.closest(raw[:80], candidates)) if raw.isascii() else ""
        raise ValueError(f"There is no {noun} {raw[:80]!r}{hint}; {shown_instead}.")

    return parse


def concept_parser(
    graph: nx.DiGraph, noun: str, allowed: Iterable[str], refused: Callable[[str], str]
) -> Callable[[str], str]:
    """A parser for a concept slug in the graph that is also in `allowed`.

    `refused(slug)` says why a concept of the graph outside `allowed` is not taken.
    """
    allowed = set(allowed)

    def parse(raw: str) -> str:
        if raw not in graph:
            hint = did_you_mean(kb_search.closest(raw[:80], graph)) if raw.isascii() else ""
            raise ValueError(f"There is no concept {raw[:80]!r}{hint} to use as the {noun}.")
        if raw not in allowed:
            raise ValueError(refused(raw))
        return raw

    return parse


def parse_text(raw: str) -> str:
    """Search words: at most 200 characters, without NUL (PostgreSQL text cannot hold it)."""
    return raw.replace("\x00", "").strip()[:200]


def parse_area(raw: str) -> str:
    if raw not in Area.values:
        raise ValueError(f"There is no area {raw[:40]!r}; showing every area.")
    return raw


# --- the forms that render the controls (values come from `read`) ----------------------------


class ConceptGraphForm(forms.Form):
    depth = forms.TypedChoiceField(
        label="Depth",
        coerce=int,
        choices=_depth_choices(pages.MIN_DEPTH, pages.MAX_DEPTH, "level"),
        help_text="Levels of prerequisites and of dependents to draw.",
    )
    recommended = forms.ChoiceField(
        label="Edges", choices=EDGE_CHOICES, widget=forms.RadioSelect, required=False
    )
    track = forms.ChoiceField(
        label="Track", required=False, help_text="Concepts outside it are greyed."
    )
    to = forms.ChoiceField(
        label="Path to",
        required=False,
        help_text="Pick a goal that builds on this concept: the graph highlights the shortest "
        "chain of prerequisites from here to it, the order to learn them in after this one.",
    )

    def __init__(
        self,
        *,
        initial: Mapping[str, Any],
        tracks: Iterable[tuple[str, str]],
        goals: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(initial=dict(initial))
        self.fields["track"].choices = [("", "Any track"), *tracks]
        self.fields["to"].choices = [("", "No path"), *goals]


class TrackGraphForm(forms.Form):
    depth = forms.TypedChoiceField(
        label="Outside prerequisites",
        coerce=int,
        choices=_depth_choices(pages.MIN_OUTSIDE_DEPTH, pages.MAX_OUTSIDE_DEPTH, "level"),
        help_text="Levels of required prerequisites from outside the track to draw, greyed.",
    )
    recommended = forms.ChoiceField(
        label="Edges", choices=EDGE_CHOICES, widget=forms.RadioSelect, required=False
    )

    def __init__(self, *, initial: Mapping[str, Any]) -> None:
        super().__init__(initial=dict(initial))


class BackgroundForm(forms.Form):
    background = forms.ChoiceField(
        label="Your background",
        required=False,
        help_text="What it assumes you know is left out; what it calls rusty gets a review.",
    )

    def __init__(self, *, initial: Mapping[str, Any], backgrounds: Iterable[tuple[str, str]]):
        super().__init__(initial=dict(initial))
        self.fields["background"].choices = [("", "Starting from scratch"), *backgrounds]


class ConceptFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    area = forms.ChoiceField(label="Area", required=False)
    track = forms.ChoiceField(label="Track", required=False)

    def __init__(self, *, initial: Mapping[str, Any], tracks: Iterable[tuple[str, str]]):
        super().__init__(initial=dict(initial))
        self.fields["area"].choices = [("", "Every area"), *Area.choices]
        self.fields["track"].choices = [("", "Any track"), *tracks]
