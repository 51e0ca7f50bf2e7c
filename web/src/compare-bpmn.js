// The compare page's diagrams: the old and the new version side by side (bpmn-js viewers), with
// bpmn-js-differ's semantic diff coloured on them: added (new side), removed (old side), changed and moved
// (both sides). The server's element list and text diff stay beside them.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import stroomModdle from '../stroom-moddle.json';

function load(url) {
  return fetch(url, { credentials: 'same-origin' }).then((r) => (r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status))));
}

function viewer(container) {
  return new NavigatedViewer({ container, moddleExtensions: { camunda: camundaModdle, stroom: stroomModdle } });
}

function mark(view, ids, marker) {
  const registry = view.get('elementRegistry');
  const canvas = view.get('canvas');
  ids.forEach((id) => { if (registry.get(id)) { canvas.addMarker(id, marker); } });
}

function show(box) {
  const oldView = viewer(box.querySelector('.compare-old'));
  const newView = viewer(box.querySelector('.compare-new'));
  return Promise.all([load(box.getAttribute('data-old-url')), load(box.getAttribute('data-new-url'))])
    .then(([a, b]) => Promise.all([oldView.importXML(a), newView.importXML(b)]))
    .then(() => {
      const changes = diff(oldView.getDefinitions(), newView.getDefinitions());
      const added = Object.keys(changes._added);
      const removed = Object.keys(changes._removed);
      const changed = Object.keys(changes._changed);
      const moved = Object.keys(changes._layoutChanged).filter((id) => changed.indexOf(id) < 0);
      mark(newView, added, 'diff-added');
      mark(oldView, removed, 'diff-removed');
      [oldView, newView].forEach((v) => { mark(v, changed, 'diff-changed'); mark(v, moved, 'diff-moved'); });
      [oldView, newView].forEach((v) => v.get('canvas').zoom('fit-viewport'));
      box.setAttribute('data-added', added.join(' '));
      box.setAttribute('data-removed', removed.join(' '));
      box.setAttribute('data-changed', changed.join(' '));
      box.setAttribute('data-moved', moved.join(' '));
      box.setAttribute('data-ready', 'true');
    })
    .catch((e) => { box.setAttribute('data-ready', 'error'); box.querySelector('.compare-status').textContent = e.message; });
}

document.querySelectorAll('.bpmn-compare').forEach(show);
