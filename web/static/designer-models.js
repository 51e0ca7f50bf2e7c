// "Save as new process" beside a template fills the new-process form with that template and puts the
// cursor in the key field (no inline script: the CSP allows only files).
(function () {
  'use strict';
  document.querySelectorAll('button[data-template]').forEach(function (button) {
    button.addEventListener('click', function () {
      document.getElementById('new-template').value = button.getAttribute('data-template');
      var key = document.getElementById('new-key');
      key.scrollIntoView({ block: 'center' });
      key.focus();
    });
  });
})();
