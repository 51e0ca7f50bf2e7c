// The BPMN editor: bpmn-js with the standard properties panel (Camunda 7 provider), Stroom's own group
// and the element templates of Stroom's services (GET /api/v1/element-templates). Built by esbuild.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import { ElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import ElementTemplateChooserModule from '@bpmn-io/element-template-chooser';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import stroomModdle from '../stroom-moddle.json';
import StroomPropertiesProvider from './stroom-properties';
import FeelEntriesProvider from './feel-entries';
import { translateModule } from './translate-nl';

const D = window.StroomDesigner;
const StroomPropertiesModule = {
  __init__: ['stroomPropertiesProvider'],
  stroomPropertiesProvider: ['type', StroomPropertiesProvider]
};
const FeelEntriesModule = { __init__: ['feelEntriesProvider'], feelEntriesProvider: ['type', FeelEntriesProvider] };

const modeler = new BpmnModeler({
  container: D.editor,
  propertiesPanel: { parent: '#properties' },
  additionalModules: [
    BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
    CamundaBehaviorsModule, ElementTemplatesPropertiesProviderModule, ElementTemplateChooserModule,
    StroomPropertiesModule, FeelEntriesModule, translateModule(document.documentElement.lang)
  ],
  moddleExtensions: { camunda: camundaModdle, stroom: stroomModdle }
});
let marked = [];

// A template the loader refuses is named on the page (and in the console) rather than silently missing.
modeler.on('elementTemplates.errors', (event) => {
  event.errors.forEach((e) => console.error('Element template refused: ' + e.message));
  D.editor.setAttribute('data-template-errors', String(event.errors.length));
});

function loadTemplates() {
  const url = D.editor.getAttribute('data-templates-url');
  return fetch(url, { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : [])).then((templates) => {
    modeler.get('elementTemplatesLoader').setTemplates(templates);
    D.editor.setAttribute('data-templates', String(templates.length));
  });
}

function clearErrors() {
  const canvas = modeler.get('canvas');
  marked.forEach((id) => canvas.removeMarker(id, 'error-marker'));
  marked = [];
  modeler.get('overlays').remove({ type: 'deploy-error' });
}

// The element the designer should look at: the named one, and for a condition on a flow also the gateway
// (or task) it leaves, since that is where the designer decides.
function errorTargets(element) {
  const source = element.waypoints && element.source;
  return source && element.businessObject.conditionExpression ? [element, source] : [element];
}

function onError(details, message) {
  const registry = modeler.get('elementRegistry');
  const canvas = modeler.get('canvas');
  let first = null;
  details.forEach((d) => {
    const element = d && d.element_id && registry.get(d.element_id);
    if (!element) { return; }
    errorTargets(element).forEach((target) => {
      if (marked.indexOf(target.id) < 0) { canvas.addMarker(target, 'error-marker'); marked.push(target.id); }
    });
    const note = document.createElement('div');
    note.className = 'deploy-error-overlay';
    note.setAttribute('role', 'alert');
    note.setAttribute('data-element', element.id);
    note.textContent = d.reason || message;
    const position = element.waypoints ? { top: -40, left: 0 } : { bottom: 10, left: 0 };
    modeler.get('overlays').add(element, 'deploy-error', { position, html: note });
    first = first || element;
  });
  if (!first) { return; }
  // The designer looks where the panel is: select the element and bring it into view clear of the palette.
  modeler.get('selection').select(first);
  scrollClearOfPalette(first);
}

function paletteWidth() {
  const palette = D.editor.querySelector('.djs-palette');
  if (!palette) { return 0; }
  return palette.getBoundingClientRect().right - D.editor.getBoundingClientRect().left;
}

// Scroll so the element (and its message) lies in the part of the canvas the palette does not cover.
function scrollClearOfPalette(element) {
  const canvas = modeler.get('canvas');
  const left = paletteWidth() + 40;
  canvas.scrollToElement(element, { top: 100, bottom: 100, left, right: 80 });
}

// Fit the whole diagram into the part of the canvas the palette does not cover (at most 100 %).
function fitClearOfPalette() {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport');
  const { inner, outer } = canvas.viewbox();
  const margin = 16;
  const left = paletteWidth() + margin;
  if (left <= margin) { return; }
  const scale = Math.min((outer.width - left - margin) / inner.width, (outer.height - 2 * margin) / inner.height, 1);
  if (!(scale > 0)) { return; }
  canvas.viewbox({ x: inner.x - left / scale, y: inner.y - margin / scale,
                   width: outer.width / scale, height: outer.height / scale });
}

D.load().then((xml) => modeler.importXML(xml)).then((result) => {
  // Import warnings mean bpmn-js could not show part of the model: report them to people and tests.
  const warnings = (result && result.warnings) || [];
  warnings.forEach((w) => console.warn('BPMN import warning: ' + w.message));
  D.editor.setAttribute('data-import-warnings', String(warnings.length));
  fitClearOfPalette();
  return loadTemplates();
}).then(() => {
  D.wire(() => modeler.saveXML({ format: true }).then((r) => r.xml), onError, clearErrors);
  modeler.on('commandStack.changed', () => D.changed());
  window.stroomModeler = modeler;
}).catch((e) => D.fail(e));
