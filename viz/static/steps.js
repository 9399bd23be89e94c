// The step-through page: shows the graph after step `cur`, from the data the page carries.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ad-data").textContent);
  var svg = document.getElementById("ad-svg");
  var slider = document.getElementById("ad-slider");
  var prev = document.getElementById("ad-prev");
  var next = document.getElementById("ad-next");
  var status = document.getElementById("ad-status");
  var sentence = document.getElementById("ad-sentence");
  var hover = document.getElementById("ad-hover");
  var graph = document.getElementById("ad-graph");
  var hint = hover.textContent;
  var last = data.steps.length;
  var cur = 1;
  var nodes = {}, edges = {};

  Object.keys(data.nodes).forEach(function (id) {
    var info = data.nodes[id];
    var g = document.getElementById(info.el);
    if (!g) { return; }
    var texts = g.querySelectorAll("text");
    // Rows of a label: kind or op, "name = value", then the δ (constants have one row).
    if (info.delta !== null) { centre(texts[texts.length - 1]).classList.add("delta"); }
    if (texts.length > 1) { centre(texts[1]).classList.add("value"); }
    nodes[id] = { g: g, info: info, delta: info.delta === null ? null : texts[texts.length - 1],
      value: texts.length > 1 ? texts[1] : null };
    g.addEventListener("mouseenter", function () { trace(id); });
    g.addEventListener("mouseleave", untrace);
    g.addEventListener("click", function () { trace(id, true); });
  });
  Object.keys(data.edges).forEach(function (id) {
    var g = document.getElementById(id);
    if (g) { edges[id] = { g: g, info: data.edges[id] }; }
  });

  function centre(t) {
    // Label rows are placed from their left end; a row whose text changes stays centred instead.
    var box = t.getBBox();
    t.setAttribute("x", String(box.x + box.width / 2));
    t.setAttribute("text-anchor", "middle");
    return t;
  }

  function toggle(el, name, on) { if (on) { el.classList.add(name); } else { el.classList.remove(name); } }

  function show(n) {
    cur = Math.max(1, Math.min(last, n));
    // A new step drops the hovered or clicked node: its old sentence would hide the step's own.
    untrace();
    hover.textContent = hint;
    var step = data.steps[cur - 1];
    var hotNode = step.kind === "delta" ? step.node : null;
    Object.keys(nodes).forEach(function (id) {
      var nd = nodes[id], info = nd.info;
      var done = info.step !== null && info.step <= cur;
      toggle(nd.g, "pending", info.step !== null && !done);
      toggle(nd.g, "current", id === step.node);
      toggle(nd.g, "done", done && id !== step.node);
      var updated = info.updateStep !== null && info.updateStep <= cur;
      toggle(nd.g, "updated", updated);
      if (nd.delta) { nd.delta.textContent = done ? info.delta : info.pending; }
      if (nd.value && info.newValue !== null) { nd.value.textContent = updated ? info.newValue : info.value; }
    });
    Object.keys(edges).forEach(function (id) {
      var e = edges[id], info = e.info;
      var live = info.step !== null && info.step <= cur;
      toggle(e.g, "live", live);
      toggle(e.g, "pending", !live);
      toggle(e.g, "hot", live && info.parent === hotNode);
    });
    slider.value = String(cur);
    prev.disabled = cur === 1;
    next.disabled = cur === last;
    var what = step.kind === "delta" ? "δ complete" : "weight updated";
    status.textContent = "Step " + cur + " of " + last + " (" + what + ")" +
      (cur === data.lastDelta ? ": the last δ" : "");
    sentence.textContent = step.caption.replace(/^Step \d+ of \d+: /, "");
    reveal(nodes[step.node]);
  }

  function reveal(nd) {
    // Keep the current node in view when the graph is larger than the screen.
    if (!nd) { return; }
    var box = nd.g.getBoundingClientRect(), outer = graph.getBoundingClientRect();
    var sideways = box.left < outer.left || box.right > outer.right;
    var below = box.top < 0 || box.bottom > window.innerHeight;
    if (sideways && !below) {
      graph.scrollLeft += (box.left + box.right) / 2 - (outer.left + outer.right) / 2;
    } else if (below) {
      nd.g.scrollIntoView({ block: "center", inline: "center" });
    }
  }

  function trace(id, clicked) {
    var info = data.nodes[id];
    var on = {};
    info.path.forEach(function (p) { on[p] = true; });
    svg.classList.add("tracing");
    Object.keys(nodes).forEach(function (n) { toggle(nodes[n].g, "onpath", !!on[n]); });
    Object.keys(edges).forEach(function (e) {
      var ed = edges[e].info;
      toggle(edges[e].g, "onpath", !!on[ed.parent] && !!on[ed.child]);
    });
    var said = info.step !== null && info.step > cur ? info.pending + " (not yet: step " + info.step + ")" :
      info.sentence;
    if (clicked && info.kind === "weight") {
      said = info.update ? info.update : said + " (no learning rate given: no update to show)";
    }
    hover.textContent = said;
  }

  function untrace() {
    svg.classList.remove("tracing");
    Object.keys(nodes).forEach(function (n) { nodes[n].g.classList.remove("onpath"); });
    Object.keys(edges).forEach(function (e) { edges[e].g.classList.remove("onpath"); });
  }

  prev.addEventListener("click", function () { show(cur - 1); });
  next.addEventListener("click", function () { show(cur + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.getElementById("ad-fit").addEventListener("change", function (ev) {
    toggle(graph, "fit", ev.target.checked);
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.tagName === "INPUT" && ev.target.type === "range") { return; }
    var to = { ArrowLeft: cur - 1, ArrowRight: cur + 1, Home: 1, End: last }[ev.key];
    if (to !== undefined) { ev.preventDefault(); show(to); }
  });
  svg.addEventListener("mouseleave", function () { untrace(); hover.textContent = hint; });

  var head = document.querySelector(".head");
  function underHead() {
    // What scrolls into view stops below the sticky controls, not under them.
    if (head) { document.documentElement.style.scrollPaddingTop = (head.offsetHeight + 8) + "px"; }
  }
  window.addEventListener("resize", underHead);
  if (window.ResizeObserver && head) { new ResizeObserver(underHead).observe(head); }
  underHead();
  // A graph up to twice the column's width opens fitted (its text then at least half size, every
  // node on screen); a larger one opens at its size, scrolled to the current node: "fit width" zooms out.
  var fitBox = document.getElementById("ad-fit");
  var natural = parseFloat(svg.style.width) || svg.getBoundingClientRect().width;
  // Zoom: a graph much wider than the screen is read in parts; − and + scale it (fit width: all of it).
  var zoom = 1;
  function zoomBy(factor) {
    zoom = Math.max(0.25, Math.min(2, zoom * factor));
    fitBox.checked = false;
    toggle(graph, "fit", false);
    svg.style.width = Math.round(natural * zoom) + "px";
    reveal(nodes[data.steps[cur - 1].node]);
  }
  document.getElementById("ad-zoom-out").addEventListener("click", function () { zoomBy(0.8); });
  document.getElementById("ad-zoom-in").addEventListener("click", function () { zoomBy(1.25); });
  if (natural > graph.clientWidth && natural <= 2 * graph.clientWidth) {
    fitBox.checked = true;
    toggle(graph, "fit", true);
  }
  show(1);
}());
