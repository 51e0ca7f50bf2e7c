// The instance diagram: bpmn-js NavigatedViewer with done / active / failed markers.
(function () {
  'use strict';
  var el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) { return; }
  var MARKERS = { done: 'done', completed: 'done', active: 'active', waiting: 'active', ready: 'active', failed: 'failed', error: 'failed' };
  var states = [];
  try { states = JSON.parse(el.getAttribute('data-states') || '[]'); } catch (e) { states = []; }
  var viewer = new window.BpmnJS({ container: el });
  fetch(el.getAttribute('data-diagram-url'), { credentials: 'same-origin' })
    .then(function (r) { return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport');
      states.forEach(function (s) {
        var marker = MARKERS[s.state];
        if (marker && registry.get(s.id)) { canvas.addMarker(s.id, marker); }
      });
      // An incident's "Show on the diagram" link (#element-ID): highlight that element and bring it into view.
      var focused = null;
      function focus() {
        var hash = decodeURIComponent(window.location.hash || '');
        var id = hash.indexOf('#element-') === 0 ? hash.slice('#element-'.length) : '';
        var element = id ? registry.get(id) : null;
        if (focused) { canvas.removeMarker(focused, 'focus'); focused = null; }
        if (!element) { return; }
        canvas.addMarker(id, 'focus');
        focused = id;
        if (canvas.scrollToElement) { canvas.scrollToElement(element); }
        el.setAttribute('data-focused', id);
        el.scrollIntoView({ block: 'center' });
      }
      window.addEventListener('hashchange', focus);
      focus();
      el.setAttribute('data-ready', 'true');
    })
    .catch(function (err) {
      el.textContent = 'The diagram could not be shown: ' + err.message;
      el.setAttribute('data-ready', 'error');
    });
})();
