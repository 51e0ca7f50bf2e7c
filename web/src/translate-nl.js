// The properties panel in the UI language: bpmn-js's `translate` service replaced by one that looks the
// English label up in a Dutch dictionary when the page is Dutch (<html lang="nl">). Labels without an
// entry stay English, as in the Camunda Modeler.
const NL = {
  // groups
  'General': 'Algemeen', 'Documentation': 'Documentatie', 'Condition': 'Voorwaarde', 'Timer': 'Timer',
  'Template': 'Sjabloon', 'Multi-instance': 'Meerdere instanties', 'User assignment': 'Toewijzing',
  'Forms': 'Formulieren', 'Form': 'Formulier', 'Inputs': 'Invoer', 'Outputs': 'Uitvoer',
  'Execution listeners': 'Uitvoeringslisteners', 'Task listeners': 'Taaklisteners',
  'Extension properties': 'Extra eigenschappen', 'Asynchronous continuations': 'Asynchroon vervolg',
  'Job execution': 'Taakuitvoering', 'Implementation': 'Implementatie', 'Custom properties': 'Eigen eigenschappen',
  'Errors': 'Fouten', 'Message': 'Bericht', 'Signal': 'Signaal', 'Escalation': 'Escalatie', 'Link': 'Koppeling',
  'Compensation': 'Compensatie', 'History cleanup': 'Opschonen van de geschiedenis', 'Tasklist': 'Takenlijst',
  'Candidate starter': 'Mag starten', 'Field injections': 'Veldinjecties', 'In mappings': 'Invoerkoppelingen',
  'Out mappings': 'Uitvoerkoppelingen', 'Variable events': 'Variabele-gebeurtenissen',
  // entries
  'Name': 'Naam', 'ID': 'ID', 'Type': 'Soort', 'Value': 'Waarde', 'Version tag': 'Versielabel',
  'Executable': 'Uitvoerbaar', 'Process name': 'Procesnaam', 'Process ID': 'Proces-ID',
  'Participant Name': 'Naam deelnemer', 'Element documentation': 'Documentatie van het element',
  'Process documentation': 'Documentatie van het proces',
  'Condition Expression': 'Voorwaarde-expressie', 'Condition expression': 'Voorwaarde-expressie',
  'Expression': 'Expressie', 'Script': 'Script', '<none>': '<geen>', '<empty>': '<leeg>',
  'Date': 'Datum', 'Duration': 'Duur', 'Cycle': 'Herhaling',
  'Assignee': 'Toegewezen aan', 'Candidate groups': 'Kandidaatgroepen', 'Candidate users': 'Kandidaatgebruikers',
  'Due date': 'Vervaldatum', 'Follow up date': 'Opvolgdatum', 'Priority': 'Prioriteit',
  'Form key': 'Formuliersleutel', 'Form reference': 'Formulierverwijzing', 'Custom form key': 'Eigen formuliersleutel',
  'Form fields': 'Formuliervelden', 'Binding': 'Binding', 'Version': 'Versie',
  'Collection': 'Verzameling', 'Element variable': 'Elementvariabele', 'Loop cardinality': 'Aantal herhalingen',
  'Completion condition': 'Voorwaarde om te voltooien', 'Multi instance documentation': 'Documentatie meerdere instanties',
  'Asynchronous before': 'Asynchroon vooraf', 'Asynchronous after': 'Asynchroon achteraf', 'Exclusive': 'Exclusief',
  'Retry time cycle': 'Herhaalschema bij fouten', 'Job priority': 'Taakprioriteit',
  'Topic': 'Onderwerp', 'Result variable': 'Resultaatvariabele', 'Decision reference': 'Beslissingsverwijzing',
  'Map decision result': 'Beslissingsresultaat koppelen', 'Called element': 'Aangeroepen element',
  'Business key': 'Zakelijke sleutel', 'Initiator': 'Initiatiefnemer', 'Startable': 'Startbaar',
  'Input mapping': 'Invoerkoppeling', 'Output mapping': 'Uitvoerkoppeling', 'Local variable name': 'Lokale variabelenaam',
  'Process variable name': 'Procesvariabelenaam', 'Assignment type': 'Soort toewijzing', 'Variable name': 'Variabelenaam',
  'Variable assignment value': 'Waarde van de toewijzing', 'String or expression': 'Tekst of expressie',
  'List': 'Lijst', 'Map': 'Tabel', 'Properties': 'Eigenschappen', 'Key': 'Sleutel', 'Label': 'Label',
  'Default value': 'Standaardwaarde', 'Event type': 'Soort gebeurtenis', 'Listener type': 'Soort listener',
  'Java class': 'Java-klasse', 'Delegate expression': 'Delegate-expressie', 'External task': 'Externe taak',
  'Connector ID': 'Connector-ID', 'Inline script': 'Script in het model', 'External resource': 'Extern bestand',
  'Format': 'Formaat', 'Resource': 'Bestand', 'Script type': 'Soort script', 'Message variable': 'Berichtvariabele',
  'Global message reference': 'Globale berichtverwijzing', 'Global signal reference': 'Globale signaalverwijzing',
  'Global error reference': 'Globale foutverwijzing', 'Global escalation reference': 'Globale escalatieverwijzing',
  'Code': 'Code', 'Code variable': 'Codevariabele', 'Error': 'Fout', 'Throw expression': 'Expressie die gooit',
  'Time to live': 'Bewaartermijn', 'Candidate starter groups': 'Groepen die mogen starten',
  'Candidate starter users': 'Gebruikers die mogen starten', 'Tenant ID': 'Tenant-ID',
  'Create new ...': 'Nieuw ...', 'Wait for completion': 'Wacht op voltooiing', 'Activity reference': 'Activiteitverwijzing',
  'ID must be unique.': 'De ID moet uniek zijn.', 'ID must not be empty.': 'De ID mag niet leeg zijn.',
  'ID must not contain spaces.': 'De ID mag geen spaties bevatten.', 'ID must be a valid QName.': 'De ID moet een geldige QName zijn.',
  'A time duration defined as ISO 8601 durations format.': 'Een duur in ISO 8601-notatie.',
  'A specific point in time defined as ISO 8601 combined date and time representation.': 'Een tijdstip in ISO 8601-notatie (datum en tijd).',
  'A cycle defined as ISO 8601 repeating intervals format, or a cron expression.': 'Een herhaling in ISO 8601-notatie, of een cron-expressie.',
  'Documentation: Timer events': 'Documentatie: timergebeurtenissen',
  // element templates
  'Select': 'Kiezen', 'Change': 'Wijzigen', 'Unlink': 'Ontkoppelen', 'Remove': 'Verwijderen', 'Update': 'Bijwerken',
  'Choose element template': 'Kies een elementsjabloon', 'Search': 'Zoeken',
  // Stroom's FEEL fields
  'FEEL expression': 'FEEL-expressie', 'FEEL error: {message}': 'FEEL-fout: {message}',
  'An ISO 8601 date, duration or cycle, or a FEEL expression.': 'Een ISO 8601-datum, -duur of -herhaling, of een FEEL-expressie.',
  // the Stroom group (web/stroom-moddle.json)
  'Four eyes: not the people in': 'Vier ogen: niet de personen in',
  'Comma-separated data fields naming people who may not complete this task (e.g. initiator, submitted_by), or a FEEL expression (=...).':
    'Gegevensvelden, gescheiden door komma\'s, met de personen die deze taak niet mogen afronden (bijv. initiator, submitted_by), of een FEEL-expressie (=...).',
  'Candidate roles': 'Kandidaatrollen',
  'Roles whose members may claim the task: names, or a FEEL expression (=...).': 'Rollen waarvan de leden de taak mogen oppakken: namen, of een FEEL-expressie (=...).',
  'Due margin (days)': 'Vervalmarge (dagen)',
  'Without a due date: due this many days before the invoice\'s payment due date.': 'Zonder vervaldatum: zoveel dagen voor de betaaldatum van de factuur.',
  'Notify': 'Melden',
  'assigned: mail the candidates when the task is created.': 'assigned: mail de kandidaten als de taak ontstaat.',
  'Remind after (ISO 8601 duration)': 'Herinneren na (ISO 8601-duur)',
  'e.g. P2D: mail the candidates again if the task is still open then. Escalation is a timer boundary event with a Send mail step (template escalation).':
    'bijv. P2D: mail de kandidaten opnieuw als de taak dan nog openstaat. Escaleren doe je met een timer-randgebeurtenis en een stap Mail versturen (sjabloon escalation).',
  'A delegate decides': 'Een gedelegeerde beslist',
  'true: a person the task is delegated to completes it; otherwise they advise and it returns.': 'true: wie de taak gedelegeerd krijgt rondt haar af; anders adviseert die en komt de taak terug.',
  'Only the server starts it': 'Alleen de server start dit proces',
  'true: people cannot start this process by hand (server/instances/starts.py).': 'true: mensen kunnen dit proces niet met de hand starten.',
  'Decision': 'Beslissing', 'A decision of this model\'s DMN files.': 'Een beslissing uit de DMN-bestanden van dit model.',
  '(none)': '(geen)', 'Not a valid value: ': 'Geen geldige waarde: '
};

function fill(template, replacements) {
  return template.replace(/{([^}]+)}/g, (_all, key) => (replacements && key in replacements ? replacements[key] : '{' + key + '}'));
}

/** The dictionary for a language (empty: English, the labels as written). */
export function dictionary(lang) {
  return (lang || '').toLowerCase().startsWith('nl') ? NL : {};
}

/** A bpmn-js module replacing `translate` with the page language's labels. */
export function translateModule(lang) {
  const words = dictionary(lang);
  const translate = (template, replacements) => fill(words[template] || template, replacements || {});
  return { translate: ['value', translate] };
}
