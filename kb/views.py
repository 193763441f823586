"""The knowledge-base pages: concepts, tracks and teams, with their prerequisite graphs.

Views only read parameters (kb.forms), call kb.selectors and kb.pages, and render:
what a page shows is decided there, the same way the API decides it. Every page
works without JavaScript; kb/static/kb/graph.js draws the graph that the page
also lists as text. A slug that names nothing is a 404 page suggesting what was
meant; a bad parameter is a 400 page that shows the defaults and says what was
wrong, never a 500.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from kb import backgrounds, forms, pages, selectors
from kb import graph as kb_graph
from kb import search as kb_search
from kb.models import Area, Difficulty, TeamProfile, Track

PER_PAGE = 50
TOP_CONCEPTS = 15  # what a team page lists under "weighs most"


def _status(*problem_lists: Sequence[str]) -> int:
    return 400 if any(problem_lists) else 200


def _not_found(
    request: HttpRequest, *, noun: str, slug: str, suggestions: Iterable[tuple[str, str]]
) -> HttpResponse:
    """A 404 page naming what was asked for and linking what it probably meant.

    suggestions: (title, url) pairs, best first.
    """
    context = {
        "noun": noun,
        "slug": slug,
        "suggestions": list(suggestions),
        "search_url": f"{reverse('kb:concept-list')}?{urlencode({'q': slug.replace('-', ' ')})}",
    }
    return render(request, "kb/not_found.html", context, status=404)


def _concept_not_found(request: HttpRequest, slug: str, graph: nx.DiGraph) -> HttpResponse:
    close = kb_search.closest(slug, graph) if slug.isascii() else []
    return _not_found(
        request,
        noun="concept",
        slug=slug,
        suggestions=[(graph.nodes[s]["title"], reverse("kb:concept", args=[s])) for s in close],
    )


def _record_not_found(
    request: HttpRequest, model: type[Track] | type[TeamProfile], slug: str
) -> HttpResponse:
    names = selectors.names(model)
    title = {entry.slug: entry.title for entry in names}
    close = kb_search.closest(slug, names) if slug.isascii() else []
    url_name = "kb:track" if model is Track else "kb:team"
    return _not_found(
        request,
        noun=model._meta.verbose_name.replace("team profile", "team"),
        slug=slug,
        suggestions=[(title[s], reverse(url_name, args=[s])) for s in close],
    )


def _graph_context(view: pages.GraphView) -> dict[str, Any]:
    """The graph as a page embeds it (graph.js) and lists it (the text alternative)."""
    urls = {slug: reverse("kb:concept", args=[slug]) for slug in view.slugs()}
    titles = {node.slug: node.title for node in view.nodes}
    payload = view.payload()
    for node in payload["nodes"]:
        node["url"] = urls[node["slug"]]
    return {
        "graph": view,
        "graph_payload": payload,
        "graph_nodes": [(node, urls[node.slug]) for node in view.nodes],
        "graph_edges": [(edge, titles[edge.source], titles[edge.target]) for edge in view.edges],
    }


# --- concepts --------------------------------------------------------------------------------


@require_safe
def concept_list(request: HttpRequest) -> HttpResponse:
    """Every concept, by title, narrowed by area, track and search words; 50 a page."""
    tracks = selectors.track_choices()
    track_entries = [kb_search.Entry(t.slug, t.title) for t in tracks]
    controls = forms.read(
        request.GET,
        {
            "q": forms.parse_text,
            "area": forms.parse_area,
            "track": forms.slug_parser("track", track_entries, "showing every track"),
        },
        {"q": "", "area": "", "track": ""},
    )
    track = next((t for t in tracks if t.slug == controls["track"]), None)
    rows = selectors.concept_rows(area=controls["area"] or None, track=track, text=controls["q"])
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    kept = {name: value for name, value in controls.values.items() if value}
    context = {
        "form": forms.ConceptFilterForm(
            initial=controls.values, tracks=[(t.slug, t.title) for t in tracks]
        ),
        "problems": controls.problems,
        "page": page,
        "query": urlencode(kept),
        "filtered": bool(kept),
        "area_label": Area(controls["area"]).label if controls["area"] else None,
        "track": track,
        "text": controls["q"],
    }
    return render(request, "kb/concept_list.html", context, status=_status(controls.problems))


@require_safe
def concept_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A concept: what it is, what it rests on and unlocks (and why), how to learn it."""
    graph = kb_graph.current_graph()
    concept = selectors.concept_page(slug) if slug in graph else None
    if concept is None:
        return _concept_not_found(request, slug, graph)
    tracks = selectors.track_choices()
    track_entries = [kb_search.Entry(t.slug, t.title) for t in tracks]
    controls = forms.read(
        request.GET,
        {
            "depth": forms.depth_parser(pages.MIN_DEPTH, pages.MAX_DEPTH, pages.DEFAULT_DEPTH),
            "recommended": forms.edges_parser(default=True),
            "track": forms.slug_parser("track", track_entries, "no track is greyed out"),
        },
        {"depth": pages.DEFAULT_DEPTH, "recommended": True, "track": ""},
    )
    recommended = controls["recommended"]
    goals = pages.goals(graph, slug, include_recommended=recommended)
    goal = forms.read(
        request.GET,
        {
            "to": forms.concept_parser(
                graph, "path goal", goals, _no_chain(graph, slug, recommended)
            )
        },
        {"to": ""},
    )
    track = next((t for t in tracks if t.slug == controls["track"]), None)
    view = pages.concept_graph(
        graph,
        slug,
        depth=controls["depth"],
        include_recommended=recommended,
        track=selectors.track_weights(track) if track else None,
        goal=goal["to"] or None,
    )
    view = view.with_reasons(selectors.edge_reasons(view.slugs()))
    values = (
        controls.values | goal.values | {"recommended": forms.TRUE if recommended else forms.FALSE}
    )
    by_title = sorted(goals, key=lambda s: (graph.nodes[s]["title"].lower(), s))
    context = {
        "concept": concept,
        "area_label": Area(concept.area).label,
        "difficulty_label": Difficulty(concept.difficulty).label,
        "resources": concept.resources.all(),
        "questions": concept.questions.all(),
        "track_weights": concept.track_weights.all(),
        "prerequisite_edges": concept.prerequisite_edges.all(),
        "dependent_edges": concept.dependent_edges.all(),
        "form": forms.ConceptGraphForm(
            initial=values,
            tracks=[(t.slug, t.title) for t in tracks],
            goals=[(s, graph.nodes[s]["title"]) for s in by_title],
        ),
        "problems": controls.problems + goal.problems,
        "track": track,
        "goal_title": graph.nodes[goal["to"]]["title"] if goal["to"] else None,
        "path_steps": [
            (graph.nodes[s]["title"], reverse("kb:concept", args=[s])) for s in view.path
        ],
        **_graph_context(view),
    }
    status = _status(controls.problems, goal.problems)
    return render(request, "kb/concept_detail.html", context, status=status)


def _no_chain(graph: nx.DiGraph, slug: str, recommended: bool):
    """Why a path goal that names a concept of the graph is refused, as the page says it."""
    title = graph.nodes[slug]["title"]

    def refused(goal: str) -> str:
        other = graph.nodes[goal]["title"]
        if goal == slug:
            return f"Pick a concept other than {title} itself as the path goal."
        if not recommended and goal in kb_graph.dependents(graph, slug):
            return (
                f"{other} builds on {title} only through recommended edges; "
                "show recommended edges to see that path."
            )
        return (
            f"{other} does not build on {title}: no chain of prerequisites leads from here "
            "to it. Pick a goal from the list."
        )

    return refused


# --- tracks and teams ------------------------------------------------------------------------


def _learning_order(
    request: HttpRequest,
    graph: nx.DiGraph,
    targets: Iterable[str],
    weights: Mapping[str, float] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The "learning order for a background" block of track and team pages, and its problems."""
    rows = backgrounds.presets()
    entries = [kb_search.Entry(row.slug, row.title) for row, _ in rows]
    controls = forms.read(
        request.GET,
        {"background": forms.slug_parser("background", entries, "showing the order from scratch")},
        {"background": ""},
    )
    chosen = next(((row, p) for row, p in rows if row.slug == controls["background"]), None)
    order = pages.learning_order(
        graph, targets, preset=chosen[1] if chosen else None, weights=weights
    )
    titles = {slug: graph.nodes[slug]["title"] for slug in order.reviewed}
    context = {
        "background_form": forms.BackgroundForm(
            initial=controls.values, backgrounds=[(row.slug, row.title) for row, _ in rows]
        ),
        "background": chosen[0] if chosen else None,
        "order": order,
        "reviewed": [(slug, titles[slug]) for slug in order.reviewed],
    }
    return context, controls.problems


@require_safe
def track_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A track: the concepts it weighs, the teams that weigh it, and an order to learn it in."""
    track = selectors.track_page(slug)
    if track is None:
        return _record_not_found(request, Track, slug)
    graph = kb_graph.current_graph()
    weighted = list(track.weighted_concepts.all())
    hours = sum(float(row.concept.hours or 0) for row in weighted)
    order, problems = _learning_order(
        request,
        graph,
        [row.concept.slug for row in weighted],
        weights={row.concept.slug: float(row.weight) for row in weighted},
    )
    context = {
        "track": track,
        "weighted": weighted,
        "hours": round(hours, 2),
        "teams": track.team_weights.all(),
        "problems": problems,
        **order,
    }
    return render(request, "kb/track_detail.html", context, status=_status(problems))


@require_safe
def track_graph(request: HttpRequest, slug: str) -> HttpResponse:
    """A track's concepts as a graph, with the required prerequisites it leaves out greyed."""
    track = Track.objects.filter(slug=slug).first()
    if track is None:
        return _record_not_found(request, Track, slug)
    graph = kb_graph.current_graph()
    controls = forms.read(
        request.GET,
        {
            "depth": forms.depth_parser(
                pages.MIN_OUTSIDE_DEPTH, pages.MAX_OUTSIDE_DEPTH, pages.DEFAULT_OUTSIDE_DEPTH
            ),
            "recommended": forms.edges_parser(default=False),
        },
        # Required edges only by default: a whole track with its recommended edges is a
        # tangle, and its outside prerequisites are the required ones anyway.
        {"depth": pages.DEFAULT_OUTSIDE_DEPTH, "recommended": False},
    )
    view = pages.track_graph(
        graph,
        selectors.track_weights(track),
        depth=controls["depth"],
        include_recommended=controls["recommended"],
    )
    view = view.with_reasons(selectors.edge_reasons(view.slugs()))
    values = controls.values | {
        "recommended": forms.TRUE if controls["recommended"] else forms.FALSE
    }
    context = {
        "track": track,
        "form": forms.TrackGraphForm(initial=values),
        "problems": controls.problems,
        "outside": sum(1 for node in view.nodes if node.side == pages.OUTSIDE),
        **_graph_context(view),
    }
    return render(request, "kb/track_graph.html", context, status=_status(controls.problems))


@require_safe
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A hiring team: its loop, its tracks, what it weighs most and an order to learn it in."""
    team = selectors.team_page(slug)
    if team is None:
        return _record_not_found(request, TeamProfile, slug)
    graph = kb_graph.current_graph()
    relevance = {s: value for s, value in selectors.team_relevance(team).items() if s in graph}
    by_value = sorted(relevance, key=lambda s: (-relevance[s], graph.nodes[s]["position"]))
    top = [
        (s, graph.nodes[s]["title"], relevance[s], graph.nodes[s]["hours"])
        for s in by_value[:TOP_CONCEPTS]
    ]
    order, problems = _learning_order(
        request, graph, kb_graph.by_position(graph, relevance), weights=relevance
    )
    context = {
        "team": team,
        "role_label": team.get_role_display(),
        "tracks": team.track_weights.all(),
        "loop": team.loop.all(),
        "must_have": [
            (s, graph.nodes[s]["title"])
            for s in kb_graph.by_position(graph, team.must_have.values_list("slug", flat=True))
            if s in graph
        ],
        "top": top,
        "weighed": len(relevance),
        "hours": round(kb_graph.hours_of(graph, relevance), 2),
        "problems": problems,
        **order,
    }
    return render(request, "kb/team_detail.html", context, status=_status(problems))
