"""Mouse helpers for the BPMN editor: find an element on screen, click it, open a panel group."""
from __future__ import annotations

from typing import Any

# Zoom to 100 %, scroll the element clear of the palette, and return a screen point that hits it
# (a flow's label may cover the line; clicking the label selects the same flow in the panel).
_POINT = """([id]) => { const m = window.stroomModeler, canvas = m.get('canvas');
  const el = m.get('elementRegistry').get(id);
  canvas.zoom(1.0); canvas.scrollToElement(el, {top: 150, bottom: 150, left: 250, right: 150});
  const vb = canvas.viewbox(), r = canvas.getContainer().getBoundingClientRect();
  const screen = (p) => ({x: r.left + (p.x - vb.x) * vb.scale, y: r.top + (p.y - vb.y) * vb.scale});
  const hits = (s) => { const t = document.elementFromPoint(s.x, s.y); const g = t && t.closest('[data-element-id]');
    return g && [id, id + '_label'].indexOf(g.getAttribute('data-element-id')) >= 0; };
  if (!el.waypoints) { return screen({x: el.x + el.width / 2, y: el.y + el.height / 2}); }
  for (let i = 0; i + 1 < el.waypoints.length; i++) { const a = el.waypoints[i], b = el.waypoints[i + 1];
    for (const f of [0.5, 0.3, 0.7, 0.2, 0.8]) { const s = screen({x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f});
      if (hits(s)) { return s; } } }
  return null; }"""


def click_element(page: Any, element_id: str) -> None:
    """Click an element of the diagram with the mouse; it (or its label) is then the selection.

    An element that is already the only selection is left alone: a second click on it unselects it."""
    if page.evaluate("window.stroomModeler.get('selection').get().map(e => e.id)") == [element_id]:
        return
    point = page.evaluate(_POINT, [element_id])
    assert point, f"{element_id} is not on screen"
    page.mouse.click(point["x"], point["y"])
    selected = page.evaluate("window.stroomModeler.get('selection').get().map(e => e.id)")
    assert selected in ([element_id], [f"{element_id}_label"]), selected


def open_group(page: Any, title: str) -> None:
    """Open a group of the properties panel by its title (a no-op when it is open)."""
    header = page.locator("#properties .bio-properties-panel-group-header", has_text=title).first
    if "open" not in (header.get_attribute("class") or "").split():
        header.click()


def deploy(page: Any) -> str:
    """Press Deploy and wait for the outcome; the status line's text."""
    page.get_by_role("button", name="Deploy new version").click()
    page.locator("#status[data-deployed-version], #errors li").first.wait_for()
    return str(page.locator("#status").inner_text())
