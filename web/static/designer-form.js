// form-js editor for task forms (JSON schemas). A deploy error naming a field (its key or id) selects that
// field and marks it, with the server's message under it.
(function () {
  'use strict';
  var D = window.StroomDesigner;
  var style = document.createElement('style');
  document.head.appendChild(style);

  function clearErrors() {
    style.textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('.form-error-note'), function (n) { n.remove(); });
  }

  function markField(editor, details, message) {
    var registry = editor.get('formFieldRegistry');
    var detail = details.filter(function (d) { return d && d.element_id; })[0];
    if (!detail) { return; }
    var field = registry.getAll().filter(function (f) {
      return f.key === detail.element_id || f.id === detail.element_id;
    })[0];
    if (!field) { return; }
    editor.get('selection').set(field);
    var selector = '#editor .fjs-element[data-id="' + field.id + '"]';
    style.textContent = selector + ' { outline: 3px solid #c62828; outline-offset: 2px; background: #fdecea; }';
    var node = D.editor.querySelector(selector);
    var note = document.createElement('div');
    note.className = 'form-error-note deploy-error-overlay';
    note.setAttribute('role', 'alert');
    note.setAttribute('data-field', field.key || field.id);
    note.textContent = detail.reason || message;
    if (node) {
      node.parentNode.insertBefore(note, node.nextSibling);
      node.scrollIntoView({ block: 'center' });
    } else {
      D.editor.insertBefore(note, D.editor.firstChild);
    }
  }

  D.load().then(function (text) {
    var schema = JSON.parse(text);
    return window.FormEditor.createFormEditor({ container: D.editor, schema: schema });
  }).then(function (editor) {
    D.wire(function () { return Promise.resolve(JSON.stringify(editor.saveSchema(), null, 2) + '\n'); },
      function (details, message) { markField(editor, details, message); }, clearErrors);
    editor.on('changed', function () { D.changed(); });
    window.stroomFormEditor = editor;
  }).catch(function (e) { D.fail(e); });
})();
