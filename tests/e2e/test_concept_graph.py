"""Finding a concept and reading its prerequisite graph in the browser.

The tests read the nodes and edges Cytoscape drew (`window.__e2eCy()`, see CY_HOOK in
conftest.py) and compare them with the database and with the lists beside the canvas.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from kb.models import Prerequisite
from tests.e2e.conftest import screenshot

ROOT = "transformer-architecture"


def wait_for_graph(page, root: str | None = None) -> None:
    """Until graph.js drew the graph (of `root`, when given) and laid it out."""
    page.wait_for_function(
        """root => {
            const cy = window.__e2eCy();
            if (!cy || cy.nodes().length === 0) return false;
            if (root && !cy.$id(root).hasClass('root')) return false;
            const canvas = document.querySelector('.graph-canvas');
            return !canvas.hidden && canvas.querySelector('canvas') !== null;
        }""",
        arg=root,
    )


def drawn(page) -> dict:
    """The graph as Cytoscape holds it: node ids, edges as (source, target, kind)."""
    return page.evaluate(
        """() => ({
            nodes: window.__e2eCy().nodes().map(n => n.id()),
            edges: window.__e2eCy().edges().map(e => [e.source().id(), e.target().id(),
                                                    e.data('edge').kind]),
        })"""
    )


def listed(page) -> dict:
    """The same graph as the page lists it in words (the text alternative)."""
    return {
        "nodes": page.locator(".node-list [data-node]").evaluate_all(
            "items => items.map(li => li.dataset.node)"
        ),
        "edges": page.locator(".edge-list [data-edge]").evaluate_all(
            "items => items.map(li => li.dataset.edge.split('>'))"
        ),
    }


def neighbours(slug: str) -> tuple[dict[str, str], dict[str, str]]:
    """(prerequisite slug -> kind, dependent slug -> kind) of `slug`, from the database."""
    before = dict(
        Prerequisite.objects.filter(concept__slug=slug).values_list("prerequisite__slug", "kind")
    )
    after = dict(
        Prerequisite.objects.filter(prerequisite__slug=slug).values_list("concept__slug", "kind")
    )
    return before, after


def node_point(page, slug: str) -> dict | None:
    """The viewport point at the centre of `slug`'s node, or None if it is off the canvas."""
    page.locator(".graph-canvas").scroll_into_view_if_needed()
    return page.evaluate(
        """slug => {
            const node = window.__e2eCy().$id(slug);
            if (node.empty()) return null;
            const at = node.renderedPosition();
            const box = document.querySelector('.graph-canvas').getBoundingClientRect();
            const inside = at.x > 4 && at.y > 4 && at.x < box.width - 4 && at.y < box.height - 4;
            if (!inside) return null;
            const x = box.left + at.x, y = box.top + at.y;
            if (y < 0 || y > window.innerHeight) return null;
            return {x, y};
        }""",
        slug,
    )


def test_search_then_read_the_concept_graph(page, shipped_graph):
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search concepts")
    search.fill("transformers")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q=transformers$"))
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=3)).to_contain_text("“transformers”")
    result = results.get_by_role("link", name="Transformer architecture", exact=True)
    expect(result).to_be_visible()
    result.click()

    expect(page).to_have_url(re.compile(rf"/concepts/{ROOT}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Transformer architecture")
    wait_for_graph(page, ROOT)
    expect(
        page.get_by_role("img", name="Prerequisite graph around Transformer architecture")
    ).to_be_visible()
    screenshot(page, "concept-graph-transformer-architecture")

    # Depth 1, both kinds of edges (the defaults): the concept, each direct prerequisite
    # and each direct dependent, with every edge pointing prerequisite -> dependent.
    before, after = neighbours(ROOT)
    assert before, "the shipped graph gives the Transformer prerequisites"
    graph = drawn(page)
    assert set(graph["nodes"]) == {ROOT, *before, *after}
    edges = {(source, target): kind for source, target, kind in graph["edges"]}
    for slug, kind in before.items():
        assert edges.get((slug, ROOT)) == kind, f"{slug} -> {ROOT} not drawn as {kind}"
        assert (ROOT, slug) not in edges
    for slug, kind in after.items():
        assert edges.get((ROOT, slug)) == kind, f"{ROOT} -> {slug} not drawn as {kind}"
    # Every edge drawn is a real one among the drawn concepts, the right way round.
    real = set(
        Prerequisite.objects.filter(
            concept__slug__in=graph["nodes"], prerequisite__slug__in=graph["nodes"]
        ).values_list("prerequisite__slug", "concept__slug")
    )
    assert set(edges) == real
    # The lists beside the canvas say the same in words.
    words = listed(page)
    assert sorted(words["nodes"]) == sorted(graph["nodes"])
    assert sorted(map(tuple, words["edges"])) == sorted(edges)
    expect(page.locator("#graph-alt")).to_contain_text(
        f"{len(graph['nodes'])} concepts and {len(edges)} edges"
    )

    # Deeper: more concepts, and the first ones are still there.
    page.get_by_label("Depth").select_option("2")
    page.get_by_role("button", name="Update graph").click()
    expect(page).to_have_url(re.compile(r"[?&]depth=2\b"))
    wait_for_graph(page, ROOT)
    deeper = drawn(page)
    assert len(deeper["nodes"]) > len(graph["nodes"])
    assert set(graph["nodes"]) <= set(deeper["nodes"])
    expect(page.get_by_role("heading", name=re.compile(r"^Concepts in this graph"))).to_have_text(
        f"Concepts in this graph ({len(deeper['nodes'])})"
    )

    # Required edges only: no recommended edge is drawn, and at depth 1 the concepts only
    # a recommended edge brought in are gone.
    page.get_by_label("Depth").select_option("1")
    page.get_by_label("Required only").check()
    page.get_by_role("button", name="Update graph").click()
    expect(page).to_have_url(re.compile(r"[?&]recommended=false\b"))
    wait_for_graph(page, ROOT)
    required = drawn(page)
    assert required["edges"], "the Transformer has required prerequisites"
    assert {kind for _, _, kind in required["edges"]} == {"required"}
    required_only = {s for s, k in {**before, **after}.items() if k == "required"}
    assert set(required["nodes"]) == {ROOT} | required_only
    if len(required_only) < len(before) + len(after):
        assert len(required["nodes"]) < len(graph["nodes"])
    assert page.evaluate("window.__e2eCy().edges('.recommended').length") == 0

    # And back to both kinds: the recommended edges are drawn again, dashed.
    page.get_by_label("Required and recommended").check()
    page.get_by_role("button", name="Update graph").click()
    expect(page).to_have_url(re.compile(r"[?&]recommended=true\b"))
    wait_for_graph(page, ROOT)
    again = drawn(page)
    assert sorted(again["nodes"]) == sorted(graph["nodes"])
    recommended = [(s, t) for s, t, k in again["edges"] if k == "recommended"]
    if recommended:
        s, t = recommended[0]
        style = page.evaluate(
            "id => window.__e2eCy().getElementById(id).style('line-style')", f"{s}>{t}"
        )
        assert style == "dashed"


def test_open_a_prerequisite_from_the_graph(page, shipped_graph):
    before, _ = neighbours(ROOT)
    page.goto(f"/concepts/{ROOT}/")
    wait_for_graph(page, ROOT)

    # With the pointer: click a prerequisite's node where the canvas drew it.
    target, point = None, None
    for slug in sorted(before):
        point = node_point(page, slug)
        if point:
            target = slug
            break
    if target is None:  # none in view at the readable zoom: show it all first
        page.get_by_role("button", name="Fit").click()
        target = sorted(before)[0]
        point = node_point(page, target)
    assert point, f"no prerequisite of {ROOT} is on the canvas"
    # A pointer comes from somewhere: Cytoscape sees a hover only after a first move.
    page.mouse.move(point["x"] - 40, point["y"] - 40)
    page.mouse.move(point["x"], point["y"], steps=5)
    # Pointing at the node names it in the details panel.
    title = page.evaluate("slug => window.__e2eCy().$id(slug).data('node').title", target)
    expect(page.locator("#graph-info")).to_be_visible()
    expect(page.locator("#graph-info")).to_contain_text(title)
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(rf"/concepts/{target}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    wait_for_graph(page, target)
    # ... whose graph has the Transformer among what builds on it.
    assert (target, ROOT) in {(s, t) for s, t, _ in drawn(page)["edges"]}

    # With the keyboard: back on the Transformer, Tab along the list of concepts to
    # another prerequisite (graph.js highlights its node as it takes the focus), Enter.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/concepts/{ROOT}/$"))
    wait_for_graph(page, ROOT)
    other = next((slug for slug in sorted(before) if slug != target), target)
    links = page.locator(".node-list [data-node] a")
    links.first.focus()
    for _ in range(links.count()):
        if (
            page.evaluate(
                "slug => document.activeElement.closest('[data-node]')?.dataset.node", other
            )
            == other
        ):
            break
        page.keyboard.press("Tab")
    link = page.locator(f'.node-list [data-node="{other}"] a')
    expect(link).to_be_focused()
    assert page.evaluate("slug => window.__e2eCy().$id(slug).hasClass('focused')", other)
    expect(page.locator("#graph-info")).to_be_visible()
    expect(page.locator("#graph-info")).to_contain_text(
        page.evaluate("slug => window.__e2eCy().$id(slug).data('node').title", other)
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/concepts/{other}/$"))
    wait_for_graph(page, other)

    # An edge in the list of edges takes the focus too, and highlights its edge.
    page.go_back()
    wait_for_graph(page, ROOT)
    edge_id = f"{other}>{ROOT}"
    page.locator(f'.edge-list [data-edge="{edge_id}"]').focus()
    assert page.evaluate("id => window.__e2eCy().getElementById(id).hasClass('focused')", edge_id)
    expect(page.locator("#graph-info")).to_contain_text("→")


# --- how the graph opens --------------------------------------------------------------------

READABLE = 0.7  # graph.js: the smallest zoom at which labels stay legible on a wide screen


def graph_payload(page) -> list[dict]:
    """The nodes the page embeds for graph.js, in the server's order (learning order)."""
    return json.loads(page.locator("#graph-data").text_content())["nodes"]


def opened(page) -> dict:
    """The concepts wholly inside the canvas as the graph opened, all of them, and the zoom."""
    page.locator(".graph-canvas").scroll_into_view_if_needed()
    return page.evaluate(
        """() => {
            const cy = window.__e2eCy();
            const canvas = document.querySelector('.graph-canvas');
            const width = canvas.clientWidth, height = canvas.clientHeight;
            const inside = cy.nodes().filter(node => {
                const b = node.renderedBoundingBox({includeLabels: false});
                return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= width && b.y2 <= height;
            });
            return {
                inside: inside.map(node => node.id()),
                all: cy.nodes().map(node => node.id()),
                zoom: cy.zoom(),
            };
        }"""
    )


def test_a_graph_readable_whole_opens_fitted(page, shipped_graph):
    page.goto(f"/concepts/{ROOT}/")
    wait_for_graph(page, ROOT)
    view = opened(page)
    assert view["zoom"] >= READABLE * 0.97
    assert sorted(view["inside"]) == sorted(view["all"])


def test_a_deep_graph_with_a_path_opens_on_the_concept_at_a_readable_zoom(page, shipped_graph):
    """Depth 3 and a path longer than the canvas: the view starts at the concept, then the
    path as far as it fits, not in the empty middle of the path's bounding box."""
    slug, goal = "gradient-descent", "multilayer-perceptron"
    page.goto(f"/concepts/{slug}/?depth=3&to={goal}")
    wait_for_graph(page, slug)
    view = opened(page)
    assert len(view["inside"]) < len(view["all"]), "this graph is too big to read whole"
    assert view["zoom"] == pytest.approx(READABLE)
    assert slug in view["inside"]
    screenshot(page, "concept-graph-depth-3-path")


def test_a_track_graph_too_big_to_read_whole_opens_where_the_track_starts(page, shipped_graph):
    page.goto("/tracks/nlp/graph/")
    wait_for_graph(page)
    view = opened(page)
    assert len(view["inside"]) < len(view["all"]), "this graph is too big to read whole"
    assert view["zoom"] == pytest.approx(READABLE)
    starts = page.evaluate(
        """() => {
            const cy = window.__e2eCy();
            const track = cy.nodes().filter(node => node.data('node').in_track !== false);
            return track.filter(node => node.incomers('node').intersection(track).empty())
                        .map(node => node.id());
        }"""
    )
    first = next(node["slug"] for node in graph_payload(page) if node["slug"] in starts)
    assert first in view["inside"], "the track's first concept to learn is not in view"
    screenshot(page, "track-graph-nlp")


def test_the_graph_colours_from_the_plan_that_schedules_the_concept(
    open_page, make_user, make_plan
):
    """Two plans: the older (LLM pre-training) learns scaling laws (a must-have of the
    team), the newer (ads ranking) does not. That concept's page colours from the older
    plan, not the newest."""
    ada = make_user("ada")
    llm = make_plan(ada)
    ads = make_plan(ada, team="ads-ranking")
    slug = "scaling-laws"
    assert llm.items.filter(concept_slug=slug).exists()
    assert not ads.items.filter(concept_slug=slug).exists()
    page = open_page(user=ada)
    page.goto(f"/concepts/{slug}/")
    wait_for_graph(page, slug)
    legend = page.locator(".legend-plan")
    expect(legend).to_contain_text("Colours from your plan")
    expect(legend.get_by_role("link")).to_have_attribute("href", f"/plans/{llm.pk}/")
