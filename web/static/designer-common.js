// Shared by the three designer editors: load the source, deploy it, show the outcome.
(function () {
  'use strict';
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }
  function text(el, message) { if (el) { el.textContent = message; } }

  // Unsaved changes: the editors call changed(); a deploy that succeeds clears it. Leaving the page then asks
  // first: the browser's own prompt on reload/close, a confirm() for the page's links.
  var dirty = false;
  var leaving = false;
  function unsavedNote() { return document.getElementById('unsaved'); }
  function setDirty(value) {
    dirty = value;
    var note = unsavedNote();
    if (note) { note.hidden = !value; }
    document.body.setAttribute('data-unsaved', value ? 'true' : 'false');
  }
  window.addEventListener('beforeunload', function (event) {
    if (!dirty || leaving) { return undefined; }
    event.preventDefault();
    event.returnValue = '';
    return '';
  });
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[href]');
    if (!dirty || !link || link.target === '_blank' || link.hasAttribute('download')) { return; }
    var note = unsavedNote();
    var question = (note && note.getAttribute('data-confirm')) || 'Leave without deploying your changes?';
    if (window.confirm(question)) { leaving = true; } else { event.preventDefault(); }
  }, true);
  document.addEventListener('submit', function () { leaving = true; }, true);

  window.StroomDesigner = {
    editor: document.getElementById('editor'),
    changed: function () { setDirty(true); },
    isDirty: function () { return dirty; },
    load: function () {
      var url = this.editor.getAttribute('data-source-url');
      return fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) { throw new Error('HTTP ' + r.status); }
        return r.text();
      });
    },
    // getContent: function returning a Promise of the file's new text.
    // onError: function(details) called with the error details to mark elements.
    wire: function (getContent, onError, clearErrors) {
      var editor = this.editor;
      var deployButton = document.getElementById('deploy');
      var downloadButton = document.getElementById('download');
      var status = document.getElementById('status');
      var errors = document.getElementById('errors');
      deployButton.disabled = false;
      downloadButton.disabled = false;
      deployButton.addEventListener('click', function () {
        deployButton.disabled = true;
        text(status, '…');
        errors.textContent = '';
        if (clearErrors) { clearErrors(); }
        getContent().then(function (content) {
          return fetch(editor.getAttribute('data-deploy-url'), {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
            body: JSON.stringify({ kind: editor.getAttribute('data-kind'), filename: editor.getAttribute('data-filename'), content: content })
          });
        }).then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        }).then(function (res) {
          if (res.ok) {
            var key = res.body.unchanged ? 'data-msg-unchanged' : 'data-msg-deployed';
            text(status, editor.getAttribute(key).replace('{n}', res.body.version));
            status.setAttribute('data-deployed-version', res.body.version);
            setDirty(false);
          } else {
            var err = res.body.error || { message: 'error', details: [] };
            text(status, editor.getAttribute('data-msg-failed'));
            var li = document.createElement('li');
            li.textContent = err.message;
            errors.appendChild(li);
            if (onError) { onError(err.details || [], err.message); }
          }
        }).catch(function (e) {
          text(status, editor.getAttribute('data-msg-failed') + ' ' + e.message);
        }).then(function () { deployButton.disabled = false; });
      });
      downloadButton.addEventListener('click', function () {
        getContent().then(function (content) {
          var blob = new Blob([content], { type: 'text/plain' });
          var a = document.createElement('a');
          a.href = URL.createObjectURL(blob);
          a.download = editor.getAttribute('data-filename');
          document.body.appendChild(a);
          a.click();
          a.remove();
        });
      });
      editor.setAttribute('data-ready', 'true');
    },
    fail: function (e) {
      this.editor.textContent = 'The editor could not start: ' + e.message;
      this.editor.setAttribute('data-ready', 'error');
    }
  };
})();
