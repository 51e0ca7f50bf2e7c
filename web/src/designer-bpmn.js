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

const D = window.StroomDesigner;
const StroomPropertiesModule = {
  __init__: ['stroomPropertiesProvider'],
  stroomPropertiesProvider: ['type', StroomPropertiesProvider]
};

const modeler = new BpmnModeler({
  container: D.editor,
  propertiesPanel: { parent: '#properties' },
  additionalModules: [
    BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
    CamundaBehaviorsModule, ElementTemplatesPropertiesProviderModule, ElementTemplateChooserModule,
    StroomPropertiesModule
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

function onError(details, message) {
  const registry = modeler.get('elementRegistry');
  details.forEach((d) => {
    const element = d && d.element_id && registry.get(d.element_id);
    if (!element) { return; }
    modeler.get('canvas').addMarker(element, 'error-marker');
    marked.push(element.id);
    const note = document.createElement('div');
    note.className = 'deploy-error-overlay';
    note.setAttribute('data-element', element.id);
    note.textContent = d.reason || message;
    modeler.get('overlays').add(element, 'deploy-error', { position: { bottom: 10, left: 0 }, html: note });
    // The designer looks where the panel is: select the element and bring it into view.
    modeler.get('selection').select(element);
    modeler.get('canvas').scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 80 });
  });
}

// Fit the whole diagram into the part of the canvas the palette does not cover (at most 100 %).
function fitClearOfPalette() {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport');
  const palette = D.editor.querySelector('.djs-palette');
  if (!palette) { return; }
  const { inner, outer } = canvas.viewbox();
  const margin = 16;
  const left = palette.getBoundingClientRect().right - D.editor.getBoundingClientRect().left + margin;
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
  window.stroomModeler = modeler;
}).catch((e) => D.fail(e));
