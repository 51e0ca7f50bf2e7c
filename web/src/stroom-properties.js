// The "Stroom" group of the properties panel: the settings the engine reads as camunda:property entries
// (and camunda:decisionRef), described by web/stroom-moddle.json so panel and server name them alike.
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';

const SETTINGS = ['stroom:UserTaskSettings', 'stroom:ProcessSettings', 'stroom:BusinessRuleTaskSettings'];

function target(element) {
  const bo = element.businessObject;
  return is(element, 'bpmn:Participant') ? bo.get('processRef') : bo;
}

function propertiesOf(bo) {
  const ext = bo && bo.get('extensionElements');
  return ext && ext.get('values').find((v) => is(v, 'camunda:Properties'));
}

export function readSetting(bo, meta) {
  if (meta.camundaAttribute) { return bo.get(meta.camundaAttribute) || ''; }
  const props = propertiesOf(bo);
  const found = props && props.get('values').find((p) => p.get('name') === meta.camundaProperty);
  return (found && found.get('value')) || '';
}

function propertyCommands(element, bo, meta, value, bpmnFactory) {
  const update = (moddleElement, properties) => ({
    cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } });
  const commands = [];
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push(update(bo, { extensionElements: ext }));
  }
  let props = propertiesOf(bo);
  if (!props) {
    props = bpmnFactory.create('camunda:Properties', { values: [] });
    props.$parent = ext;
    commands.push(update(ext, { values: [...ext.get('values'), props] }));
  }
  const values = props.get('values');
  const existing = values.find((p) => p.get('name') === meta.camundaProperty);
  if (!value) {
    if (existing) { commands.push(update(props, { values: values.filter((p) => p !== existing) })); }
  } else if (existing) {
    commands.push(update(existing, { value }));
  } else {
    const created = bpmnFactory.create('camunda:Property', { name: meta.camundaProperty, value });
    created.$parent = props;
    commands.push(update(props, { values: [...values, created] }));
  }
  return commands;
}

function SettingEntry(props) {
  const { element, id, meta } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = target(element);
  const getValue = () => readSetting(bo, meta);
  const setValue = (value, error) => {
    if (error) { return; } // the panel shows the error; an invalid value never reaches the XML
    value = (value || '').trim();
    const commands = meta.camundaAttribute
      ? [{ cmd: 'element.updateModdleProperties',
           context: { element, moddleElement: bo, properties: { [meta.camundaAttribute]: value || undefined } } }]
      : propertyCommands(element, bo, meta, value, bpmnFactory);
    if (commands.length) { commandStack.execute('properties-panel.multi-command-executor', commands); }
  };
  const label = translate(meta.label);
  const description = translate(meta.description);
  let choices = meta.choices;
  if (meta.choicesFrom === 'decisions') { choices = ['', ...decisionIds(getValue())]; }
  if (choices) {
    const getOptions = () => choices.map((c) => ({ value: c, label: c || translate('(none)') }));
    return h(SelectEntry, { element, id, label, description, getValue, setValue, getOptions });
  }
  const validate = (value) => (value && meta.pattern && !new RegExp(meta.pattern).test(value.trim())
    ? translate('Not a valid value: ') + description : null);
  return h(TextFieldEntry, { element, id, label, description, getValue, setValue, validate, debounce });
}

// The decisions of the model's DMN files, handed over by the page (#editor data-decisions).
function decisionIds(current) {
  const editor = document.getElementById('editor');
  const ids = JSON.parse((editor && editor.getAttribute('data-decisions')) || '[]');
  return current && ids.indexOf(current) < 0 ? [...ids, current] : ids;
}

// One stable component per setting: a new function each render would remount the field while typing.
const COMPONENTS = new Map();
function componentFor(p) {
  if (!COMPONENTS.has(p.name)) { COMPONENTS.set(p.name, (props) => h(SettingEntry, { ...props, meta: p.meta })); }
  return COMPONENTS.get(p.name);
}

export default function StroomPropertiesProvider(propertiesPanel, moddle) {
  this._moddle = moddle;
  propertiesPanel.registerProvider(400, this);
}
StroomPropertiesProvider.$inject = ['propertiesPanel', 'moddle'];

StroomPropertiesProvider.prototype.getGroups = function (element) {
  return (groups) => {
    const subject = target(element);
    if (!subject) { return groups; }
    const entries = [];
    SETTINGS.forEach((typeName) => {
      const type = this._moddle.getTypeDescriptor(typeName);
      if (!type.meta.appliesTo.some((t) => is(subject, t))) { return; }
      type.properties.forEach((p) => {
        const id = 'stroom-' + p.ns.localName;
        const component = componentFor(p);
        entries.push({ id, element, component, isEdited: p.meta.choices || p.meta.choicesFrom ? isSelectEntryEdited : isTextFieldEntryEdited });
      });
    });
    if (entries.length) { groups.push({ id: 'stroom', label: 'Stroom', entries }); }
    return groups;
  };
};
