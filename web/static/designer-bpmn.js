// BPMN modeler with a small properties panel writing camunda:* attributes.
(function () {
  'use strict';
  var D = window.StroomDesigner;
  var CAMUNDA = 'http://camunda.org/schema/1.0/bpmn';
  // bpmn-js 18 binds the keyboard to the focused canvas itself; keyboard.bindTo is refused as unsupported.
  var modeler = new window.BpmnJS({ container: D.editor });
  var form = document.getElementById('props');
  var none = document.getElementById('props-none');
  var current = null;
  var marked = [];

  function ensureNamespace() {
    var defs = modeler.getDefinitions();
    if (defs && !defs.$attrs['xmlns:camunda']) { defs.$attrs['xmlns:camunda'] = CAMUNDA; }
  }
  function read(bo, prop) {
    if (prop === 'name') { return bo.name || ''; }
    return bo.$attrs[prop] || bo.get(prop) || '';
  }
  function show(element) {
    current = element && element.type !== 'bpmn:Process' && element.type !== 'label' ? element : null;
    form.hidden = !current;
    none.hidden = !!current;
    if (!current) { return; }
    var bo = current.businessObject;
    document.getElementById('p-type').textContent = current.type.replace('bpmn:', '');
    document.getElementById('p-id').textContent = bo.id;
    form.querySelectorAll('[data-for]').forEach(function (group) {
      group.hidden = group.getAttribute('data-for').split(' ').indexOf(current.type) < 0;
    });
    form.querySelectorAll('[data-prop]').forEach(function (input) {
      input.value = read(bo, input.getAttribute('data-prop'));
    });
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.querySelectorAll('[data-prop]').forEach(function (input) {
    input.addEventListener('change', function () {
      if (!current) { return; }
      var prop = input.getAttribute('data-prop');
      var props = {};
      props[prop] = input.value === '' ? undefined : input.value;
      if (prop !== 'name') { ensureNamespace(); }
      modeler.get('modeling').updateProperties(current, props);
    });
  });
  function clearErrors() {
    var canvas = modeler.get('canvas');
    marked.forEach(function (id) { canvas.removeMarker(id, 'error-marker'); });
    marked = [];
    modeler.get('overlays').remove({ type: 'deploy-error' });
  }
  function onError(details, message) {
    var registry = modeler.get('elementRegistry');
    details.forEach(function (d) {
      var id = d && d.element_id;
      if (!id || !registry.get(id)) { return; }
      modeler.get('canvas').addMarker(id, 'error-marker');
      marked.push(id);
      var note = document.createElement('div');
      note.className = 'deploy-error-overlay';
      note.setAttribute('data-element', id);
      note.textContent = d.reason || message;
      modeler.get('overlays').add(id, 'deploy-error', { position: { bottom: 10, left: 0 }, html: note });
    });
  }
  D.load().then(function (xml) { return modeler.importXML(xml); }).then(function (result) {
    // Import warnings mean bpmn-js could not show part of the model: report them to people and tests.
    var warnings = (result && result.warnings) || [];
    warnings.forEach(function (w) { console.warn('BPMN import warning: ' + w.message); });
    D.editor.setAttribute('data-import-warnings', String(warnings.length));
    modeler.get('canvas').zoom('fit-viewport');
    modeler.on('selection.changed', function (e) { show(e.newSelection[0]); });
    modeler.on('element.changed', function (e) { if (current && e.element === current) { show(current); } });
    D.wire(function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
           onError, clearErrors);
    window.stroomModeler = modeler;
  }).catch(function (e) { D.fail(e); });
})();
