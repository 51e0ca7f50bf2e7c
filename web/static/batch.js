// The batch page: poll the JSON batch endpoint, move the progress bar and the counts, and show the
// per-instance results (server-rendered) by reloading once the batch has ended.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box || box.dataset.ended === "true") { return; }
  function put(id, value) { document.getElementById(id).textContent = value; }
  function show(view) {
    var bar = document.getElementById("b-progress");
    bar.max = view.total || 1;
    bar.value = view.processed;
    put("b-processed", view.processed);
    put("b-total", view.total);
    put("b-succeeded", view.succeeded);
    put("b-failed", view.failed);
    put("b-not-attempted", view.not_attempted);
    put("b-status", view.status);
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
