// DMN editor (dmn-js): decision tables, literal expressions and the DRD.
(function () {
  'use strict';
  var D = window.StroomDesigner;
  var modeler = new window.DmnJS({ container: D.editor });
  var select = document.getElementById('views');

  function fillViews() {
    var views = modeler.getViews();
    var active = modeler.getActiveView();
    select.textContent = '';
    views.forEach(function (view, i) {
      var option = document.createElement('option');
      option.value = String(i);
      option.textContent = (view.name || view.element.name || view.element.id) + ' (' + view.type + ')';
      if (active && view.element === active.element) { option.selected = true; }
      select.appendChild(option);
    });
  }
  select.addEventListener('change', function () {
    var view = modeler.getViews()[Number(select.value)];
    if (view) { modeler.open(view); }
  });
  D.load().then(function (xml) { return modeler.importXML(xml); }).then(function () {
    // Open the first decision table rather than the requirements diagram.
    var table = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
    var ready = table ? modeler.open(table) : Promise.resolve();
    return ready;
  }).then(function () {
    fillViews();
    modeler.on('views.changed', fillViews);
    D.wire(function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); });
    window.stroomDmn = modeler;
  }).catch(function (e) { D.fail(e); });
})();
