from tests.e2e.test_designer_story import _create_blank, _ids, _context, _selected
from tests.e2e.modeler import click_element, _POINT


def test_debug(browse, site):
    page = browse.login("designer")
    _create_blank(page, browse.base_url)
    [start] = _ids(page, "bpmn:StartEvent")
    click_element(page, start)
    _context(page, "append.append-task")
    page.keyboard.type("Approve by controllers")
    page.keyboard.press("Enter")
    print("active", page.evaluate("window.stroomModeler.get('directEditing').isActive()"))
    print(page.evaluate("window.stroomModeler.get('selection').get().map(e=>[e.id, e.businessObject.name])"))
    task = _ids(page, "bpmn:Task")[0]
    click_element(page, start)
    point = page.evaluate(_POINT, [task])
    page.mouse.click(point["x"], point["y"])
    print(page.evaluate("window.stroomModeler.get('selection').get().map(e=>e.id)"))
