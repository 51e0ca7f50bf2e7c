// DMN editor (dmn-js): decision tables, literal expressions and the DRD. A deploy error that names a
// decision, rule and column opens that table and marks the cell, with the server's message beside it.
(function () {
  'use strict';
  var D = window.StroomDesigner;
  var modeler = new window.DmnJS({ container: D.editor });
  var select = document.getElementById('views');
  var watched = [];
  var style = document.createElement('style');
  document.head.appendChild(style);

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
  // Every viewer (table, DRD, literal expression) reports its edits: the page then has unsaved changes.
  function watchActiveViewer() {
    var viewer = modeler.getActiveViewer();
    if (viewer && watched.indexOf(viewer) < 0) {
      watched.push(viewer);
      viewer.on('elements.changed', function () { D.changed(); });
    }
  }
  select.addEventListener('change', function () {
    var view = modeler.getViews()[Number(select.value)];
    if (view) { modeler.open(view); }
  });

  function clauseName(clause, isInput, count, index) {
    if (isInput) {
      var text = clause.inputExpression && clause.inputExpression.text;
      return clause.label || text || clause.id || 'input ' + (index + 1);
    }
    return clause.name || clause.label || 'output ' + (index + 1);
  }

  // The cell (rule, column) of a decision table the server named: ids of its row and column.
  function findCell(detail) {
    var view = modeler.getViews().filter(function (v) {
      return v.type === 'decisionTable' && v.element.id === detail.decision;
    })[0];
    if (!view) { return null; }
    var table = view.element.decisionLogic;
    var rule = detail.rule ? (table.rule || [])[detail.rule - 1] : null;
    var column = null;
    var inputs = table.input || [];
    var outputs = table.output || [];
    inputs.forEach(function (c, i) { if (!column && clauseName(c, true, inputs.length, i) === detail.column) { column = c; } });
    outputs.forEach(function (c, i) {
      var single = outputs.length === 1 && (c.name || '') === '';
      if (!column && (clauseName(c, false, outputs.length, i) === detail.column || single)) { column = c; }
    });
    return { view: view, row: rule && rule.id, col: column && column.id };
  }

  function cellSelector(cell) {
    var parts = [];
    if (cell.row) { parts.push('[data-row-id="' + cell.row + '"]'); }
    if (cell.col) { parts.push('[data-col-id="' + cell.col + '"]'); }
    return 'td' + parts.join('');
  }

  function clearErrors() {
    style.textContent = '';
    Array.prototype.forEach.call(document.querySelectorAll('.dmn-error-note'), function (n) { n.remove(); });
  }

  function onError(details, message) {
    var detail = details.filter(function (d) { return d && d.decision; })[0];
    if (!detail) { return; }
    var cell = findCell(detail);
    if (!cell || !(cell.row || cell.col)) { return; }
    var opened = modeler.getActiveView() && modeler.getActiveView().element === cell.view.element
      ? Promise.resolve() : modeler.open(cell.view);
    opened.then(function () {
      fillViews();
      var selector = cellSelector(cell);
      // A style rule rather than a class: dmn-js re-renders cells, the rule keeps marking the new ones.
      style.textContent = '#editor ' + selector + ' { outline: 3px solid #c62828; outline-offset: -3px; background: #fdecea; }';
      var td = D.editor.querySelector(selector);
      var note = document.createElement('div');
      note.className = 'dmn-error-note deploy-error-overlay';
      note.setAttribute('role', 'alert');
      note.setAttribute('data-rule', String(detail.rule || ''));
      note.setAttribute('data-column', detail.column || '');
      note.textContent = detail.dmn_reason || detail.reason || message;
      if (td) {
        td.scrollIntoView({ block: 'center', inline: 'center' });
        var box = td.getBoundingClientRect();
        var host = D.editor.getBoundingClientRect();
        note.style.top = (box.bottom - host.top + D.editor.scrollTop + 4) + 'px';
        note.style.left = (box.left - host.left + D.editor.scrollLeft) + 'px';
      }
      D.editor.appendChild(note);
    });
  }

  D.load().then(function (xml) { return modeler.importXML(xml); }).then(function () {
    // Open the first decision table rather than the requirements diagram.
    var table = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
    var ready = table ? modeler.open(table) : Promise.resolve();
    return ready;
  }).then(function () {
    fillViews();
    watchActiveViewer();
    modeler.on('views.changed', function () { fillViews(); watchActiveViewer(); });
    D.wire(function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
      onError, clearErrors);
    window.stroomDmn = modeler;
  }).catch(function (e) { D.fail(e); });
})();
