// FEEL fields in the properties panel: the Camunda 7 provider edits conditions, timers and multi-instance
// expressions as plain text boxes; these entries replace them with @bpmn-io/feel-editor (highlighting,
// completion) and show @bpmn-io/feel-lint's first error under the field. Values stay plain FEEL text,
// as Stroom reads them (no leading "=" needed); a refused value is still written, so deploy names it too.
import FeelEditor from '@bpmn-io/feel-editor';
import { lintExpression } from '@bpmn-io/feel-lint';
import { useService } from 'bpmn-js-properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useEffect, useRef, useState } from '@bpmn-io/properties-panel/preact/hooks';
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

// Bare ISO 8601 timer values (PT1H, R3/PT10M, 2026-12-01T09:00:00Z) are literals for the server, not FEEL.
const ISO_TIMER = /^(R\d*\/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)$/;

/** The first lint error of a FEEL text (null when it parses); timers accept ISO 8601 literals too. */
export function feelProblem(text, { timer = false } = {}) {
  const source = (text || '').trim().replace(/^=/, '');
  if (!source || (timer && ISO_TIMER.test(source))) { return null; }
  const errors = lintExpression(source).filter((e) => e.severity === 'error');
  if (!errors.length) { return null; }
  const first = errors[0];
  return { message: first.message, from: first.from };
}

function FeelField(props) {
  const { element, id, label, owner, property, timer, description } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const container = useRef();
  const editor = useRef();
  const read = () => { const expr = owner && owner.get(property); return (expr && expr.get('body')) || ''; };
  const [problem, setProblem] = useState(() => feelProblem(read(), { timer }));

  const write = (value) => {
    const current = owner.get(property);
    if (current) {
      commandStack.execute('element.updateModdleProperties',
        { element, moddleElement: current, properties: { body: value } });
    } else {
      const created = bpmnFactory.create('bpmn:FormalExpression', { body: value });
      created.$parent = owner;
      commandStack.execute('element.updateModdleProperties',
        { element, moddleElement: owner, properties: { [property]: created } });
    }
  };
  const commit = useRef(null);
  commit.current = write;

  useEffect(() => {
    const debounced = debounce((value) => commit.current(value));
    const instance = new FeelEditor({
      container: container.current,
      value: read(),
      contentAttributes: { 'aria-label': label, id: 'bio-properties-panel-' + id, 'data-feel-field': id },
      onChange: (value) => { setProblem(feelProblem(value, { timer })); debounced(value); }
    });
    editor.current = instance;
    // Leaving the field writes at once (clicking the canvas blurs it before the selection changes).
    const node = container.current;
    const flush = () => { if (debounced.flush) { debounced.flush(); } };
    node.addEventListener('focusout', flush);
    return () => {
      node.removeEventListener('focusout', flush);
      instance._cmEditor.destroy();
      // Never write while the panel re-renders: a pending edit is written just after.
      Promise.resolve().then(flush);
    };
  }, [element, owner, property]);

  // Undo/redo and other edits from outside: show the model's value unless the designer is typing here.
  useEffect(() => {
    const instance = editor.current;
    const view = instance && instance._cmEditor;
    if (view && !view.hasFocus && view.state.doc.toString() !== read()) { instance.setValue(read()); }
  });

  return h('div', { class: 'bio-properties-panel-entry stroom-feel-entry', 'data-entry-id': id }, [
    h('label', { class: 'bio-properties-panel-label', for: 'bio-properties-panel-' + id }, [
      label, ' ', h('span', { class: 'stroom-feel-badge', title: translate('FEEL expression') }, 'FEEL')]),
    h('div', { class: 'bio-properties-panel-input stroom-feel-editor', ref: container }),
    problem ? h('div', { class: 'bio-properties-panel-error', role: 'alert' },
      translate('FEEL error: {message}', { message: problem.message })) : null,
    description ? h('div', { class: 'bio-properties-panel-description' }, description) : null
  ]);
}

function conditionOwner(element) {
  return getBusinessObject(element);
}

const COMPONENTS = {
  conditionExpression: (props) => h(FeelField, { ...props, id: 'conditionExpression',
    label: useService('translate')('Condition Expression'), owner: conditionOwner(props.element),
    property: 'conditionExpression' }),
  timerEventDefinitionValue: (props) => h(FeelField, { ...props, id: 'timerEventDefinitionValue',
    label: useService('translate')('Value'), owner: props.timerEventDefinition,
    property: props.timerEventDefinitionType, timer: true,
    description: useService('translate')('An ISO 8601 date, duration or cycle, or a FEEL expression.') }),
  completionCondition: (props) => h(FeelField, { ...props, id: 'completionCondition',
    label: useService('translate')('Completion condition'),
    owner: getBusinessObject(props.element).get('loopCharacteristics'), property: 'completionCondition' }),
  loopCardinality: (props) => h(FeelField, { ...props, id: 'loopCardinality',
    label: useService('translate')('Loop cardinality'),
    owner: getBusinessObject(props.element).get('loopCharacteristics'), property: 'loopCardinality' })
};

function isFeelEdited(node) {
  return !!(node && node.textContent.trim());
}

/** Swap the provider's text entries for FEEL ones, in whatever group they appear; other entries stay. */
export function withFeelEntries(groups) {
  groups.forEach((group) => {
    (group.entries || []).forEach((entry) => {
      const component = COMPONENTS[entry.id];
      if (component && entry.component !== component) {
        if (entry.id === 'timerEventDefinitionValue' && !entry.timerEventDefinition) { return; }
        entry.component = component;
        entry.isEdited = isFeelEdited;
      }
    });
  });
  return groups;
}

/** A properties provider that runs after the others (low priority) and only swaps in the FEEL fields. */
export default function FeelEntriesProvider(propertiesPanel) {
  propertiesPanel.registerProvider(100, this);
}
FeelEntriesProvider.$inject = ['propertiesPanel'];
FeelEntriesProvider.prototype.getGroups = function () {
  return (groups) => withFeelEntries(groups);
};
