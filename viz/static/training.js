// The training page: a slider and a play button choose the epoch; the loss marker moves, the
// boundary's cells are recoloured, and the network's numbers, arrows and tooltips are rewritten.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ad-data").textContent);
  var slider = document.getElementById("ad-epoch");
  var play = document.getElementById("ad-play");
  var status = document.getElementById("ad-status");
  var readout = document.getElementById("ad-readout");
  var marker = document.getElementById("ad-loss-marker");
  var cells = document.querySelectorAll("#ad-cells rect");
  var probeLoss = document.getElementById("ad-probe-loss");
  var chain = document.getElementById("ad-chain");
  var chosen = null;  // the neuron whose chain rule is shown, kept as the epoch changes
  var last = data.epochs.length - 1;
  var timer = null;

  function shown(x) { return String(x).replace("-", "\u2212"); }
  function colourOf(x) { return x < 0 ? data.colours.neg : x > 0 ? data.colours.pos : data.colours.zero; }
  function colourOfText(s) {
    if (s === null || s === undefined) { return null; }
    var x = parseFloat(String(s).replace("\u2212", "-"));
    return colourOf(x);
  }
  function setTip(group, tip) {
    var a = group.querySelector("a");
    if (a) { a.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:title", tip); }
  }

  function showNeurons(frame) {
    data.neurons.forEach(function (id, k) {
      var g = document.getElementById(id);
      if (!g) { return; }
      var row = frame.neurons[k];
      var texts = g.querySelectorAll("text");
      if (row[0] === null) {  // an input: name, value, δ
        if (texts[1]) { texts[1].textContent = "= " + row[1]; }
        if (texts[2] && row[3] !== null) {
          texts[2].textContent = texts[2].textContent.split(" = ")[0] + " = " + row[3];
          texts[2].setAttribute("fill", colourOfText(row[3]));
        }
        return;
      }
      if (texts[1]) { texts[1].textContent = "\u03a3 " + row[0] + " \u2192 o " + row[1]; }
      if (texts[2]) { texts[2].textContent = "\u03b4\u03a3 = " + row[2]; texts[2].setAttribute("fill", colourOfText(row[2])); }
      if (texts[3]) { texts[3].textContent = "\u03b4o = " + row[3]; texts[3].setAttribute("fill", colourOfText(row[3])); }
      if (row[4]) { setTip(g, row[4]); }
    });
  }

  function showWeights(frame) {
    var largest = 0;
    frame.dw.forEach(function (d) { largest = Math.max(largest, Math.abs(d)); });
    data.weights.forEach(function (id, k) {
      var g = document.getElementById(id);
      if (!g) { return; }
      var d = frame.dw[k];
      var colour = d === 0 ? data.colours.none : colourOf(d);
      var width = d === 0 ? 0.5 : largest === 0 ? 0.6 : 0.6 + 3.4 * Math.abs(d) / largest;
      g.querySelectorAll("path").forEach(function (p) {
        p.setAttribute("stroke", colour);
        p.setAttribute("stroke-width", width.toFixed(2));
      });
      setTip(g, data.weightNames[k] + " = " + shown(frame.w[k]) + "; \u03b4" + data.weightNames[k] + " = " + shown(d));
    });
  }

  function show(n) {
    var frame = data.epochs[n];
    slider.value = String(n);
    status.textContent = frame.epoch === 0 ? "before training" : "epoch " + frame.epoch + " of " + data.epochs[last].epoch;
    var parts = [];
    if (frame.loss !== null) { parts.push("loss " + frame.loss); }
    if (frame.accuracy) { parts.push("training accuracy " + frame.accuracy); }
    readout.textContent = parts.join(" \u00b7 ");
    probeLoss.textContent = "(its loss " + frame.probe_loss + ")";
    if (marker) { marker.setAttribute("cx", frame.marker[0]); marker.setAttribute("cy", frame.marker[1]); }
    if (frame.signs && cells.length === frame.signs.length) {
      for (var i = 0; i < cells.length; i++) {
        cells[i].setAttribute("class", frame.signs.charAt(i) === "+" ? "c-pos" : "c-neg");
      }
    }
    showNeurons(frame);
    showWeights(frame);
    showChain(frame);
  }

  function showChain(frame) {
    if (chosen === null) { return; }
    var row = frame.neurons[chosen];
    chain.textContent = data.names[chosen] + " at epoch " + frame.epoch + ":\n" + row[4].split(" | ").join("\n");
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\u25b6 Play";
    play.setAttribute("aria-label", "Play");
  }

  function start() {
    if (Number(slider.value) >= last) { show(0); }
    play.textContent = "\u275a\u275a Pause";
    play.setAttribute("aria-label", "Pause");
    timer = setInterval(function () {
      var n = Number(slider.value) + 1;
      if (n > last) { stop(); return; }
      show(n);
    }, 400);
  }

  data.neurons.forEach(function (id, k) {
    var g = document.getElementById(id);
    if (!g || !g.classList.contains("ad-neuron")) { return; }
    g.addEventListener("click", function (e) {
      e.preventDefault();
      chosen = k;
      showChain(data.epochs[Number(slider.value)]);
    });
  });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  play.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider) { return; }
    if (e.key === "ArrowRight") { stop(); show(Math.min(last, Number(slider.value) + 1)); }
    else if (e.key === "ArrowLeft") { stop(); show(Math.max(0, Number(slider.value) - 1)); }
    else if (e.key === " ") { e.preventDefault(); play.click(); }
  });
  // Graphviz starts each line of a label at a fixed x; centre them, so rewritten numbers stay centred.
  data.neurons.forEach(function (id) {
    var g = document.getElementById(id);
    var shape = g && g.querySelector("path, polygon");
    if (!shape) { return; }
    var box = shape.getBBox();
    g.querySelectorAll("text").forEach(function (t) {
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("x", (box.x + box.width / 2).toFixed(2));
    });
  });
  show(0);
}());
