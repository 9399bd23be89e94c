// The quiz on the step-through page: each δ is asked before the page shows it, and checked exactly
// (fractions as BigInt numerator/denominator pairs). It drives the page only through its own
// controls (Next, the slider), so the page's script is unchanged.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("ad-data").textContent);
  var quiz = JSON.parse(document.getElementById("ad-quiz-data").textContent);
  var slider = document.getElementById("ad-slider");
  var next = document.getElementById("ad-next");
  var input = document.getElementById("ad-answer");
  var ask = document.getElementById("ad-ask");
  var check = document.getElementById("ad-check");
  var showButton = document.getElementById("ad-show");
  var score = document.getElementById("ad-score");
  var feedback = document.getElementById("ad-feedback");
  var MINUS = "\u2212";

  // The δs asked, in the order the page completes them (the loss's own δ, 1, is given).
  var asked = Object.keys(page.nodes).filter(function (id) {
    return page.nodes[id].step !== null && id !== quiz.root && quiz.nodes[id];
  }).sort(function (a, b) { return page.nodes[a].step - page.nodes[b].step; });
  var done = {}, missed = {}, wrongOf = {};
  var firstTime = 0, finished = 0, passing = false;

  // --- exact numbers ---------------------------------------------------------------------------
  function gcd(a, b) { a = a < 0n ? -a : a; b = b < 0n ? -b : b; while (b) { var t = a % b; a = b; b = t; } return a; }
  function frac(n, d) {
    if (d === 0n) { return null; }
    if (d < 0n) { n = -n; d = -d; }
    var g = gcd(n, d) || 1n;
    return { n: n / g, d: d / g };
  }
  function decimal(sign, digits, exponent) {
    var parts = digits.split("."), whole = parts[0] || "0", tail = parts[1] || "";
    var n = BigInt(whole + tail) * (sign === "-" ? -1n : 1n), d = 10n ** BigInt(tail.length);
    var e = exponent ? parseInt(exponent, 10) : 0;
    if (Math.abs(e) > 400) { return null; }
    if (e > 0) { n *= 10n ** BigInt(e); } else if (e < 0) { d *= 10n ** BigInt(-e); }
    return frac(n, d);
  }
  var NUMBER = "([+-]?)(\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE]([+-]?\\d+))?";
  var FORM = new RegExp("^" + NUMBER + "(?:/" + NUMBER + ")?$");
  function parse(text) {
    var s = text.replace(/[\u2212\u2013]/g, "-").replace(/\s+/g, "");
    var m = FORM.exec(s);
    if (!m) { return null; }
    var a = decimal(m[1], m[2], m[3]);
    if (m[5] === undefined) { return a; }
    var b = decimal(m[4], m[5], m[6]);
    if (!a || !b || b.n === 0n) { return null; }
    return frac(a.n * b.d, a.d * b.n);
  }
  function fromData(v) { return v.f !== undefined ? { f: v.f } : frac(BigInt(v.n), BigInt(v.d)); }
  function toFloat(x) { return x.f !== undefined ? x.f : Number(x.n) / Number(x.d); }
  function same(mine, other) {
    if (mine.f === undefined && other.f === undefined) { return mine.n === other.n && mine.d === other.d; }
    var a = toFloat(mine), b = toFloat(other);
    return a === b || Math.abs(a - b) <= 1e-9 * Math.abs(a);
  }
  function add(x, y) {
    if (x.f !== undefined || y.f !== undefined) { return { f: toFloat(x) + toFloat(y) }; }
    return frac(x.n * y.d + y.n * x.d, x.d * y.d);
  }
  function mul(x, y) {
    if (x.f !== undefined || y.f !== undefined) { return { f: toFloat(x) * toFloat(y) }; }
    return frac(x.n * y.n, x.d * y.d);
  }
  function show(x) {
    var s = x.f !== undefined ? String(x.f) : (x.d === 1n ? String(x.n) : x.n + "/" + x.d);
    return s.replace("-", MINUS);
  }

  // --- where the page may go --------------------------------------------------------------------
  function pending() {
    for (var k = 0; k < asked.length; k++) { if (!done[asked[k]]) { return asked[k]; } }
    return null;
  }
  function allowed() { var p = pending(); return p === null ? page.steps.length : page.nodes[p].step - 1; }
  function cur() { return parseInt(slider.value, 10); }
  function goTo(n) {
    passing = true;
    try { while (cur() < n && !next.disabled) { next.click(); } } finally { passing = false; }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.target === input) {
      ev.stopPropagation();  // typing arrows in the box moves the cursor, not the page
      if (ev.key === "Enter") { ev.preventDefault(); answer(); }
      return;
    }
    if (ev.key === "End") { ev.preventDefault(); ev.stopPropagation(); goTo(allowed()); focus(); }
    if (ev.key === "ArrowRight" && cur() >= allowed()) { ev.preventDefault(); ev.stopPropagation(); focus(); }
  }, true);
  document.addEventListener("click", function (ev) {
    if (!passing && ev.target === next && cur() >= allowed()) { ev.stopPropagation(); focus(); }
  }, true);
  document.addEventListener("input", function (ev) {
    if (ev.target === slider && cur() > allowed()) { slider.value = String(allowed()); }
  }, true);

  function focus() {
    if (pending() !== null) { input.focus(); }
  }

  // --- asking and checking ----------------------------------------------------------------------
  function setScore() {
    score.textContent = "Score: " + firstTime + " of " + finished + " right first time" +
      (pending() === null ? " (all " + asked.length + " δs done)" : "");
  }
  function askNext() {
    var p = pending();
    hideAnswers();
    input.value = "";
    input.disabled = check.disabled = showButton.disabled = p === null;
    ask.textContent = p === null ? "All δs done" : quiz.nodes[p].name + " =";
    setScore();
  }
  function say(text, kind, code) {
    feedback.textContent = text;
    feedback.className = "feedback " + kind;
    if (code) { feedback.setAttribute("data-code", code); } else { feedback.removeAttribute("data-code"); }
  }
  function finish(id, shown) {
    done[id] = true;
    finished += 1;
    if (!missed[id] && !shown) { firstTime += 1; }
    if (!shown) { delete wrongOf[id]; }
    goTo(page.nodes[id].step);
    askNext();
  }
  function carried(id, mine) {
    var info = quiz.nodes[id], total = { n: 0n, d: 1n }, used = [];
    info.uses.forEach(function (u) {
      var theirs = wrongOf[u.user];
      if (theirs) { used.push(u.user); }
      var delta = theirs || fromData(quiz.nodes[u.user].right);
      total = add(total, mul(delta, fromData(u.local)));
    });
    if (!used.length || !same(mine, total)) { return null; }
    return used.map(function (u) { return quiz.nodes[u].name + " = " + show(wrongOf[u]); }).join(", ");
  }
  function answer() {
    var id = pending();
    if (id === null) { return; }
    var text = input.value.trim();
    if (!text) { say("Type a number: a fraction such as -1/200, or a decimal such as -0.005.", "wrong"); return; }
    var mine = parse(text);
    if (!mine) { say("Cannot read " + JSON.stringify(text) + ": write e.g. -1/200, −3/11600 or 0.25.", "wrong"); return; }
    var info = quiz.nodes[id];
    if (same(mine, fromData(info.right))) {
      say("\u2713 " + page.nodes[id].delta, "right");
      finish(id, false);
      return;
    }
    missed[id] = true;
    wrongOf[id] = mine;
    // As check_deltas: a rule right on a wrong δ given earlier is carried, whatever else matches.
    var from = carried(id, mine);
    if (from) {
      say("\u2717 carried: the rule is right, but it used " + from + ", which was wrong (see the page).", "wrong",
        "carried");
      return;
    }
    for (var k = 0; k < info.hints.length; k++) {
      var h = info.hints[k];
      if (same(mine, fromData(h.value))) {
        say("\u2717 " + h.code + ": " + h.message, "wrong", h.code);
        return;
      }
    }
    say("\u2717 " + show(mine) + " is not " + info.name + ". Try again, or Show.", "wrong");
  }

  // An arrow's label is the δ it brings: hidden while its input's δ is still to be answered.
  function hideAnswers() {
    Object.keys(page.edges).forEach(function (eid) {
      var g = document.getElementById(eid), parent = page.edges[eid].parent;
      if (!g) { return; }
      var open = !quiz.nodes[parent] || parent === quiz.root || !!done[parent];
      if (open) { g.classList.remove("ad-quiz-hide"); } else { g.classList.add("ad-quiz-hide"); }
    });
    input.setAttribute("data-node", pending() || "");
  }
  new MutationObserver(hideAnswers).observe(document.getElementById("ad-status"), { childList: true });

  check.addEventListener("click", answer);
  showButton.addEventListener("click", function () {
    var id = pending();
    if (id === null) { return; }
    missed[id] = true;
    say(page.nodes[id].delta + " (shown)", "shown");
    finish(id, true);
  });
  goTo(allowed());
  askNext();
}());
