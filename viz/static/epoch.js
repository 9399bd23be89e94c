// The epoch page: a button per patient shows that patient's step-through page in the frame.
(function () {
  "use strict";
  var pages = JSON.parse(document.getElementById("ad-pages").textContent);
  var frame = document.getElementById("ad-frame");
  var buttons = document.querySelectorAll("#ad-pick button");
  function pick(n) {
    frame.srcdoc = pages[n - 1];
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.patient === String(n))); });
    document.querySelectorAll("#ad-epoch tr[data-row]").forEach(function (r) {
      r.classList.toggle("here", r.dataset.row === String(n));
    });
  }
  buttons.forEach(function (b) { b.addEventListener("click", function () { pick(parseInt(b.dataset.patient, 10)); }); });
  pick(1);
}());
