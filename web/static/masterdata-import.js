// The master-data import page: poll the JSON status endpoint, move the progress bar, say the status in
// the page's language (data-status-words), and show the summary (server-rendered) by reloading once the
// import has ended.
(function () {
  "use strict";
  var box = document.getElementById("md-import");
  if (!box || box.dataset.ended === "true") { return; }
  var statusWords = JSON.parse(box.dataset.statusWords || "{}");
  function number(value) { return Number(value || 0).toLocaleString(document.documentElement.lang || undefined); }
  function show(view) {
    var bar = document.getElementById("md-progress");
    bar.max = view.total || 1;
    bar.value = view.done;
    document.getElementById("md-done").textContent = number(view.done);
    document.getElementById("md-total").textContent = number(view.total);
    document.getElementById("md-rate").textContent = number(view.rate);
    var status = document.getElementById("md-status");
    status.dataset.status = view.status;
    status.textContent = statusWords[view.status] || view.status;
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
