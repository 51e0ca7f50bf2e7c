// The progress of a background run (a batch, a master-data import): poll its JSON status, move the
// progress bar and the figures, and reload once the run has ended, so the server renders the summary.
// The page marks what to fill: the box has data-status-url and data-ended; the bar names the status
// fields it shows (data-value, data-max); every figure names its field (data-number: in the reader's
// locale, 3,000 or 3.000; data-text: said with the box's data-status-words, a JSON map of the page's
// language, else as it is).
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || box.dataset.ended === "true") { return; }
  var locale = document.documentElement.lang || undefined;
  var words = JSON.parse(box.dataset.statusWords || "{}");
  function number(value) { return Number(value || 0).toLocaleString(locale); }
  function show(view) {
    box.querySelectorAll("progress[data-value]").forEach(function (bar) {
      bar.max = view[bar.dataset.max] || 1;
      bar.value = view[bar.dataset.value] || 0;
    });
    box.querySelectorAll("[data-number]").forEach(function (el) { el.textContent = number(view[el.dataset.number]); });
    box.querySelectorAll("[data-text]").forEach(function (el) {
      var value = view[el.dataset.text];
      el.dataset.status = value;
      el.textContent = words[value] || value;
    });
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (view) {
        show(view);
        if (view.ended) { window.location.reload(); } else { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
}());
