// The task form: a field the form hides unless a decision is made (form-js `conditional.hide`,
// evaluated on the server into data-show-for) shows, and is required, only for that decision.
// Without JavaScript every field shows and the server decides what is required.
(function () {
  'use strict';
  var form = document.getElementById('task-form');
  if (!form) { return; }
  var dependent = Array.prototype.slice.call(form.querySelectorAll('[data-show-for]'));
  if (!dependent.length) { return; }

  function show(decision) {
    dependent.forEach(function (box) {
      var shown = decision !== null && box.getAttribute('data-show-for').split(' ').indexOf(decision) >= 0;
      box.hidden = !shown;
      box.querySelectorAll('input, textarea, select').forEach(function (input) {
        input.disabled = !shown;  // a hidden field is neither required nor sent, as form-js does
        input.required = shown && box.getAttribute('data-required') === 'true';
      });
    });
  }

  show(form.getAttribute('data-chosen'));
  form.querySelectorAll('button[data-decision]').forEach(function (button) {
    button.addEventListener('click', function () {
      var decision = button.getAttribute('data-decision');
      var wasHidden = dependent.some(function (box) {
        return box.hidden && box.getAttribute('data-show-for').split(' ').indexOf(decision) >= 0;
      });
      show(decision);
      form.setAttribute('data-chosen', decision);
      if (wasHidden) {
        var first = form.querySelector('[data-show-for]:not([hidden]) textarea, [data-show-for]:not([hidden]) input');
        if (first && !first.value) { first.focus(); }
      }
    });
  });
})();
