// form-js editor for task forms (JSON schemas).
(function () {
  'use strict';
  var D = window.StroomDesigner;
  D.load().then(function (text) {
    var schema = JSON.parse(text);
    return window.FormEditor.createFormEditor({ container: D.editor, schema: schema });
  }).then(function (editor) {
    D.wire(function () { return Promise.resolve(JSON.stringify(editor.saveSchema(), null, 2) + '\n'); });
    window.stroomFormEditor = editor;
  }).catch(function (e) { D.fail(e); });
})();
