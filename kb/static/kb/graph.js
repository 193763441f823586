/*
 * The prerequisite graph of a concept or track page, drawn with Cytoscape.js and dagre.
 *
 * The page already says everything in words: the embedded JSON (json_script) is the
 * graph the server computed, and the lists beside the canvas hold the same concepts
 * and edges. This script only draws: arrows from prerequisite to dependent, ranked by
 * dagre top to bottom or left to right, whichever fits the canvas better;
 * a pointer or a focus in the lists shows an element's details and reason; selecting
 * a concept opens its page; the user's plan colours the concepts. Nothing here is
 * needed to use the page: if a script fails to load, the lists remain.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-kb-graph]");
  if (!root || typeof window.cytoscape !== "function") return;
  const dataNode = document.getElementById(root.dataset.graphData);
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  if (!data.nodes.length) return;
  if (typeof window.cytoscapeDagre === "function") {
    try {
      window.cytoscape.use(window.cytoscapeDagre);
    } catch (error) {
      /* registered already */
    }
  }

  const container = root.querySelector(".graph-canvas");
  const info = root.querySelector(".graph-info");
  const FAMILY = "system-ui, sans-serif";
  const FONT = "14px " + FAMILY;
  const STATUS_LABEL = { known: "known", planned: "planned", done: "✓ done" };
  const SIDE_LABEL = {
    root: "this concept",
    prerequisite: "prerequisite",
    dependent: "builds on it",
    track: "in the track",
    outside: "outside the track (required)",
  };

  root.classList.add("is-drawn");
  container.hidden = false;
  root.querySelector(".graph-toolbar").hidden = false;
  root.querySelector(".graph-legend").hidden = false;
  const narrow = container.clientWidth < 600;
  const maxTextWidth = narrow ? 110 : 150;

  /* Node sizes from the label's wrapped lines, so dagre keeps labels apart. */
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = FONT;
  function box(label) {
    let lines = 0;
    let widest = 0;
    for (const paragraph of label.split("\n")) {
      let line = "";
      for (const word of paragraph.split(" ")) {
        const next = line ? line + " " + word : word;
        if (line && measure.measureText(next).width > maxTextWidth) {
          widest = Math.max(widest, measure.measureText(line).width);
          lines += 1;
          line = word;
        } else {
          line = next;
        }
      }
      widest = Math.max(widest, measure.measureText(line).width);
      lines += 1;
    }
    return { w: Math.min(widest, maxTextWidth) + 18, h: lines * 17 + 14 };
  }

  function nodeLabel(node, status) {
    return status ? node.title + "\n" + STATUS_LABEL[status] : node.title;
  }

  const elements = [];
  for (const node of data.nodes) {
    const size = box(node.title);
    const classes = [node.side];
    if (node.slug === data.root) classes.push("root");
    if (node.in_track === false) classes.push("outside");
    if (node.on_path) classes.push("on-path");
    elements.push({
      group: "nodes",
      data: { id: node.slug, label: node.title, w: size.w, h: size.h, node: node },
      classes: classes.join(" "),
    });
  }
  for (const edge of data.edges) {
    const classes = [edge.kind];
    if (edge.on_path) classes.push("on-path");
    elements.push({
      group: "edges",
      data: { id: edge.from + ">" + edge.to, source: edge.from, target: edge.to, edge: edge },
      classes: classes.join(" "),
    });
  }

  const style = [
    {
      selector: "node",
      style: {
        shape: "round-rectangle",
        width: "data(w)",
        height: "data(h)",
        label: "data(label)",
        "font-family": FAMILY,
        "font-size": 14,
        "text-wrap": "wrap",
        "text-max-width": maxTextWidth,
        "text-valign": "center",
        "text-halign": "center",
        "background-color": "#ffffff",
        "border-width": 1.5,
        "border-color": "#6e7781",
        color: "#1f2328",
      },
    },
    {
      selector: "node.root",
      style: {
        "background-color": "#24292f",
        "border-color": "#24292f",
        "border-width": 3,
        color: "#ffffff",
        "font-weight": "bold",
      },
    },
    { selector: "node.status-known", style: { "background-color": "#ddf4ff", "border-color": "#0969da", "border-style": "double", "border-width": 5 } },
    { selector: "node.status-planned", style: { "background-color": "#fff8c5", "border-color": "#9a6700", "border-style": "dashed", "border-width": 2.5 } },
    { selector: "node.status-done", style: { "background-color": "#dafbe1", "border-color": "#1a7f37", "border-style": "solid", "border-width": 3.5 } },
    { selector: "node.root.status-known, node.root.status-planned, node.root.status-done", style: { "background-color": "#24292f", color: "#ffffff" } },
    { selector: "node.outside", style: { opacity: 0.45, "border-style": "dotted" } },
    {
      selector: "edge",
      style: {
        width: 1.8,
        "curve-style": "bezier",
        "line-color": "#57606a",
        "target-arrow-color": "#57606a",
        "target-arrow-shape": "triangle",
        "arrow-scale": 1.1,
      },
    },
    { selector: "edge.recommended", style: { "line-style": "dashed", "line-dash-pattern": [6, 4], "line-color": "#8c959f", "target-arrow-color": "#8c959f" } },
    { selector: "edge.faded", style: { opacity: 0.35 } },
    { selector: "node.on-path", style: { "underlay-color": "#fb8f44", "underlay-padding": 6, "underlay-opacity": 0.55, "underlay-shape": "round-rectangle" } },
    { selector: "edge.on-path", style: { width: 5, "line-color": "#bc4c00", "target-arrow-color": "#bc4c00", "z-index": 5 } },
    { selector: "node.focused", style: { "underlay-color": "#0969da", "underlay-padding": 8, "underlay-opacity": 0.45, "z-index": 10 } },
    { selector: "edge.focused", style: { width: 5, "line-color": "#0969da", "target-arrow-color": "#0969da", opacity: 1, "z-index": 10 } },
  ];

  const cy = window.cytoscape({
    container: container,
    elements: elements,
    style: style,
    layout: { name: "preset" },
    minZoom: 0.2,
    maxZoom: 2.5,
    userZoomingEnabled: false, // the wheel scrolls the page; the buttons zoom
    boxSelectionEnabled: false,
    autoungrabify: true,
    autounselectify: true,
  });
  // A stable handle for the browser tests and for anyone poking at the page in devtools.
  root.kbGraph = cy;
  cy.edges().forEach(function (edge) {
    if (edge.source().hasClass("outside") || edge.target().hasClass("outside")) edge.addClass("faded");
  });

  /* Dagre ranks prerequisites before dependents, top to bottom or left to right: whichever
     shows the whole graph at the larger zoom (labels make nodes wide, so a graph with many
     concepts on one level reads better in columns). */
  const PAD = 16;
  const readable = narrow ? 0.75 : 0.7; // smallest zoom at which 14px labels stay legible
  const tallest = Math.max(320, Math.round(window.innerHeight * (narrow ? 0.65 : 0.8))); // room to scroll past

  function arrange(rankDir) {
    cy.layout({
      name: window.cytoscapeDagre ? "dagre" : "breadthfirst",
      rankDir: rankDir,
      nodeSep: narrow ? 16 : 26,
      rankSep: rankDir === "LR" ? (narrow ? 44 : 70) : 60,
      edgeSep: 8,
      directed: true,
      fit: false,
      animate: false,
    }).run();
    const bb = cy.elements().boundingBox();
    const width = container.clientWidth - 2 * PAD;
    return Math.min(1, width / bb.w, (tallest - 2 * PAD) / bb.h);
  }

  /* Dagre leaves room for an edge that skips levels, but Cytoscape draws it straight,
     so it can pass under a concept of a level between and read as two edges. Such an
     edge is bent (one control point) the least amount that clears every concept. */
  function sample(p0, p2, bend) {
    const dx = p2.x - p0.x;
    const dy = p2.y - p0.y;
    const length = Math.hypot(dx, dy) || 1;
    const c = { x: (p0.x + p2.x) / 2 - (dy / length) * bend, y: (p0.y + p2.y) / 2 + (dx / length) * bend };
    const points = [];
    for (let i = 2; i <= 30; i += 1) {
      const t = i / 32;
      const u = 1 - t;
      points.push({ x: u * u * p0.x + 2 * u * t * c.x + t * t * p2.x, y: u * u * p0.y + 2 * u * t * c.y + t * t * p2.y });
    }
    return points;
  }
  function blocked(points, boxes) {
    return points.some(function (p) {
      return boxes.some(function (b) {
        return p.x > b.x1 - 2 && p.x < b.x2 + 2 && p.y > b.y1 - 2 && p.y < b.y2 + 2;
      });
    });
  }
  function route() {
    const boxes = {};
    cy.nodes().forEach(function (node) {
      boxes[node.id()] = node.boundingBox({ includeLabels: false });
    });
    const edges = cy.edges();
    edges.removeStyle("curve-style control-point-distances control-point-weights");
    if (edges.empty()) return;
    /* How far, and to which side, Cytoscape bends an edge for a control-point distance:
       measured once on a real edge, so `sample` predicts the curve that will be drawn. */
    const probe = edges.first();
    const a = probe.source().position();
    const b = probe.target().position();
    const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    probe.style({ "curve-style": "unbundled-bezier", "control-point-distances": 40, "control-point-weights": 0.5 });
    const mid = probe.midpoint();
    probe.removeStyle("curve-style control-point-distances control-point-weights");
    const shift = ((mid.x - (a.x + b.x) / 2) * -(b.y - a.y) + (mid.y - (a.y + b.y) / 2) * (b.x - a.x)) / length;
    const scale = shift / 20 || 1; // 1 when the midpoint lies halfway to the control point
    edges.forEach(function (edge) {
      const from = edge.source().id();
      const to = edge.target().id();
      const others = Object.keys(boxes)
        .filter(function (id) {
          return id !== from && id !== to;
        })
        .map(function (id) {
          return boxes[id];
        });
      const p0 = edge.source().position();
      const p2 = edge.target().position();
      if (!blocked(sample(p0, p2, 0), others)) return;
      for (const bend of [25, -25, 50, -50, 80, -80, 120, -120, 170, -170]) {
        if (blocked(sample(p0, p2, bend * scale), others)) continue;
        edge.style({ "curve-style": "unbundled-bezier", "control-point-distances": bend, "control-point-weights": 0.5 });
        return;
      }
    });
  }

  /* Pan so that `elements` are in the middle of the canvas, as far as the drawing goes:
     along an axis where all of it fits it is centred, elsewhere no empty margin shows. */
  function showPart(elements) {
    const zoom = cy.zoom();
    const all = cy.elements().boundingBox();
    const at = elements.boundingBox();
    function centre(low, high, lowAt, highAt, size) {
      const half = (size / 2 - PAD) / zoom;
      if ((high - low) * zoom <= size) return (low + high) / 2;
      return Math.min(Math.max((lowAt + highAt) / 2, low + half), high - half);
    }
    const x = centre(all.x1, all.x2, at.x1, at.x2, container.clientWidth);
    const y = centre(all.y1, all.y2, at.y1, at.y2, container.clientHeight);
    cy.pan({ x: container.clientWidth / 2 - x * zoom, y: container.clientHeight / 2 - y * zoom });
  }

  /* What to show first when the whole graph cannot be read at once, most important first:
     the current concept, then the path from it to the goal; on a track, the track's
     concepts where learning it starts (no prerequisite of theirs is in the track). */
  function focusOrder() {
    if (data.root) {
      return [data.root].concat(
        data.path.filter(function (slug) {
          return slug !== data.root;
        })
      );
    }
    const inTrack = cy.nodes().filter(function (node) {
      return node.data("node").in_track !== false;
    });
    const starts = inTrack.filter(function (node) {
      return node.incomers("node").intersection(inTrack).empty();
    });
    const order = (starts.nonempty() ? starts : cy.nodes()).map(function (node) {
      return node.id();
    });
    const position = {};
    data.nodes.forEach(function (node, index) {
      position[node.slug] = index;
    });
    return order.sort(function (a, b) {
      return position[a] - position[b];
    });
  }

  /* The first of focusOrder() and as many of the next ones as fit on the canvas together. */
  function focusNodes() {
    const zoom = cy.zoom();
    const room = {
      w: (container.clientWidth - 2 * PAD) / zoom,
      h: (container.clientHeight - 2 * PAD) / zoom,
    };
    let shown = cy.collection();
    for (const slug of focusOrder()) {
      const node = cy.getElementById(slug);
      if (node.empty()) continue;
      const more = shown.union(node);
      const bb = more.boundingBox();
      if (shown.nonempty() && (bb.w > room.w || bb.h > room.h)) break;
      shown = more;
    }
    return shown.nonempty() ? shown : cy.nodes().first();
  }

  function place() {
    const topDown = arrange("TB");
    const across = arrange("LR");
    if (topDown >= across) arrange("TB");
    route();
    const bb = cy.elements().boundingBox();
    const width = container.clientWidth - 2 * PAD;
    /* The zoom that shows all of it in the tallest canvas the page allows; below `readable`
       the labels cannot be read, so the canvas shows part of it at `readable` instead. */
    const fitted = Math.min(1, width / bb.w, (tallest - 2 * PAD) / bb.h);
    const whole = fitted >= readable * 0.97;
    const zoom = whole ? fitted : readable;
    container.style.height = Math.max(220, Math.min(tallest, Math.round(bb.h * zoom + 2 * PAD))) + "px";
    cy.resize();
    if (whole) {
      cy.fit(undefined, PAD);
      if (cy.zoom() > 1) cy.zoom(1);
      cy.center();
    } else {
      /* Too big to read whole: keep labels readable and start at the current concept and
         as much of the path asked for as fits, or for a track where learning starts;
         Fit shows it all. */
      cy.zoom(readable);
      showPart(focusNodes());
    }
  }
  place();

  /* Details: a panel over the canvas, near what is pointed at or focused. */
  function describeNode(node) {
    const d = node.data("node");
    const parts = [SIDE_LABEL[d.side] || ""];
    if (d.hours !== null) parts.push(d.hours + " h");
    if (d.weight !== null) parts.push("weight " + d.weight);
    if (d.in_track === false && d.side !== "outside") parts.push("not in the track");
    if (node.data("status")) parts.push(STATUS_LABEL[node.data("status")]);
    return [d.title, parts.filter(Boolean).join(" · ")];
  }
  function describeEdge(edge) {
    const d = edge.data("edge");
    const title = edge.source().data("node").title + " → " + edge.target().data("node").title;
    return [title, d.kind + (d.on_path ? ", on the path" : "") + (d.reason ? ": " + d.reason : "")];
  }
  function show(element) {
    const [title, text] = element.isNode() ? describeNode(element) : describeEdge(element);
    info.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = title;
    const p = document.createElement("p");
    p.textContent = text;
    info.append(strong, p);
    info.hidden = false;
    /* Beside what it describes, on the side with more room, inside the canvas. */
    const at = element.isNode() ? element.renderedPosition() : element.renderedMidpoint();
    const width = container.clientWidth;
    const height = container.clientHeight;
    const gap = element.isNode() ? element.renderedOuterHeight() / 2 + 8 : 14;
    let top = at.y > height / 2 ? at.y - gap - info.offsetHeight : at.y + gap;
    top = Math.max(4, Math.min(top, height - info.offsetHeight - 4));
    const left = Math.max(4, Math.min(at.x - info.offsetWidth / 2, width - info.offsetWidth - 4));
    info.style.left = left + "px";
    info.style.top = container.offsetTop + top + "px";
  }
  function hide() {
    info.hidden = true;
  }

  cy.on("mouseover", "node, edge", function (event) {
    cy.elements(".focused").removeClass("focused");
    event.target.addClass("focused");
    show(event.target);
    if (event.target.isNode()) container.style.cursor = "pointer";
  });
  cy.on("mouseout", "node, edge", function () {
    cy.elements(".focused").removeClass("focused");
    hide();
    container.style.cursor = "";
  });
  cy.on("tap", "node", function (event) {
    const url = event.target.data("node").url;
    if (url && event.target.id() !== data.root) window.location.assign(url);
  });
  cy.on("pan zoom", hide);

  /* The lists: focusing an entry highlights its node or edge. */
  for (const item of root.querySelectorAll(".edge-list [data-edge]")) item.tabIndex = 0;
  function entryElement(target) {
    const item = target.closest("[data-node], [data-edge]");
    if (!item) return null;
    const id = item.dataset.node || item.dataset.edge;
    const element = cy.getElementById(id);
    return element.nonempty() ? element : null;
  }
  function focusOn(element) {
    cy.elements(".focused").removeClass("focused");
    element.addClass("focused");
    if (element.isEdge()) element.connectedNodes().addClass("focused");
    const bb = element.renderedBoundingBox();
    if (bb.x1 < 0 || bb.y1 < 0 || bb.x2 > container.clientWidth || bb.y2 > container.clientHeight) {
      showPart(element);
    }
    show(element);
  }
  root.addEventListener("focusin", function (event) {
    const element = entryElement(event.target);
    if (element) focusOn(element);
  });
  root.addEventListener("focusout", function () {
    cy.elements(".focused").removeClass("focused");
    hide();
  });
  root.addEventListener("mouseover", function (event) {
    if (!event.target.closest(".graph-lists")) return;
    const element = entryElement(event.target);
    if (element) focusOn(element);
  });
  root.querySelector(".graph-lists").addEventListener("mouseleave", function () {
    cy.elements(".focused").removeClass("focused");
    hide();
  });

  /* Zoom buttons: the wheel is left to the page. */
  for (const button of root.querySelectorAll("[data-graph-zoom]")) {
    button.addEventListener("click", function () {
      const how = button.dataset.graphZoom;
      if (how === "fit") {
        cy.fit(undefined, 16);
        return;
      }
      const level = cy.zoom() * (how === "in" ? 1.25 : 0.8);
      cy.zoom({ level: level, renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } });
    });
  }

  /* The user's plan: known, planned and done concepts. Optional: a failure leaves the graph as is. */
  const statusUrl = root.dataset.statusUrl;
  if (!statusUrl) return;
  /* An explicit ?plan=, else the plan that schedules this concept (the server's choice). */
  const plan = new URLSearchParams(window.location.search).get("plan");
  const query = new URLSearchParams();
  if (plan && /^\d+$/.test(plan)) query.set("plan", plan);
  else if (data.root) query.set("concept", data.root);
  const url = query.toString() ? statusUrl + "?" + query.toString() : statusUrl;
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    })
    .then(function (answer) {
      const status = (answer && answer.status) || {};
      let coloured = 0;
      cy.nodes().forEach(function (node) {
        const value = status[node.id()];
        if (!Object.prototype.hasOwnProperty.call(STATUS_LABEL, value)) return;
        coloured += 1;
        node.addClass("status-" + value);
        node.data("status", value);
        node.data("label", nodeLabel(node.data("node"), value));
        const size = box(node.data("label"));
        node.data({ w: size.w, h: size.h });
      });
      for (const slot of root.querySelectorAll("[data-status-for]")) {
        const value = status[slot.dataset.statusFor];
        if (Object.prototype.hasOwnProperty.call(STATUS_LABEL, value)) {
          slot.textContent = STATUS_LABEL[value];
          slot.className = "node-status tag status-" + value;
        }
      }
      if (coloured) place(); // the status lines make those concepts taller: lay out again
      const note = root.querySelector(".legend-plan");
      if (answer && answer.plan) {
        root.querySelector(".legend-status").hidden = false;
        note.textContent = "Colours from your plan ";
        const link = document.createElement("a");
        link.href = answer.plan.url;
        link.textContent = answer.plan.title;
        note.append(link, coloured ? "." : ": none of these concepts is in it.");
        note.hidden = false;
      }
    })
    .catch(function () {
      /* No status: the graph stays uncoloured. */
    });
})();
