"""FEEL is the language of every expression a model carries; designer text never runs as Python here.

The attack of issue 17 (a generator frame walk to `__import__`) is tried as a script task, a
condition and an assignee expression: each is refused at deploy, and the canary never appears.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from server.engine import ModelError, ServiceRegistry, WorkflowRun, compile_model

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
      'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def process(body: str) -> dict[str, bytes]:
    return {"m.bpmn": f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS} id="d" '
                      f'targetNamespace="t"><bpmn:process id="p" isExecutable="true">{body}'
                      f'</bpmn:process></bpmn:definitions>'.encode()}


def chain(*elements: str) -> str:
    """start -> elements... -> end, each element given as XML with id e1, e2, ... and flows added."""
    ids = ["start", *[f"e{i}" for i in range(1, len(elements) + 1)], "end"]
    parts = ['<bpmn:startEvent id="start"/>', *elements, '<bpmn:endEvent id="end"/>']
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in
             enumerate(zip(ids, ids[1:]))]
    return "".join(parts + flows)


def compiled(body: str, **kwargs: object) -> object:
    return compile_model(bpmn=process(body), services=ServiceRegistry({"log": lambda call: dict(call.params)}),
                         **kwargs)  # type: ignore[arg-type]


def run(body: str, data: dict[str, object] | None = None) -> WorkflowRun:
    workflow = WorkflowRun.start(compiled(body), data or {})  # type: ignore[arg-type]
    assert workflow.advance() is None
    return workflow


# -- the attack ----------------------------------------------------------------------------------

ESCAPE = ("g = (g.gi_frame.f_back.f_back.f_builtins for _ in [1])\n"
          "out = str(list(g)[0]['__import__']('os').system('touch {canary}'))\n"
          "del g\n")
ESCAPE_EXPRESSION = ("(g := (g.gi_frame.f_back.f_back.f_builtins for _ in [1])) and "
                     "list(g)[0]['__import__']('os').system('touch {canary}') == 0")


def attack_models(canary: Path) -> dict[str, str]:
    script = ESCAPE.format(canary=canary).replace("&", "&amp;").replace("<", "&lt;")
    expression = ESCAPE_EXPRESSION.format(canary=canary).replace("&", "&amp;").replace("<", "&lt;")
    quoted = expression.replace('"', "&quot;")
    return {
        "script task": chain(f'<bpmn:scriptTask id="e1"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'),
        "python script task": chain(f'<bpmn:scriptTask id="e1" scriptFormat="python"><bpmn:script>{script}'
                                    '</bpmn:script></bpmn:scriptTask>'),
        "condition": ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="e1"/><bpmn:endEvent id="end"/>'
                      '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="e1"/>'
                      f'<bpmn:sequenceFlow id="f1" sourceRef="e1" targetRef="end"><bpmn:conditionExpression '
                      f'xsi:type="bpmn:tFormalExpression">{expression}</bpmn:conditionExpression></bpmn:sequenceFlow>'),
        "assignee (JUEL)": chain(f'<bpmn:userTask id="e1" camunda:assignee="${{{quoted}}}"/>'),
        "assignee (FEEL)": chain(f'<bpmn:userTask id="e1" camunda:assignee="={quoted}"/>'),
    }


@pytest.mark.parametrize("where", ["script task", "python script task", "condition", "assignee (JUEL)",
                                   "assignee (FEEL)"])
def test_the_frame_escape_of_issue_17_is_refused_at_deploy(tmp_path, where):
    canary = tmp_path / "pwned"
    body = attack_models(canary)[where]
    with pytest.raises(ModelError) as refused:
        workflow = WorkflowRun.start(compiled(body), {})  # type: ignore[arg-type]
        workflow.advance()
        workflow.ready_user_tasks()
    assert refused.value.element_id in ("e1", "f1")
    assert refused.value.kind in ("script", "condition", "assignee")
    assert not canary.exists()


# -- FEEL everywhere -------------------------------------------------------------------------------

GATEWAY = ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="f_low"/>'
           '<bpmn:endEvent id="high"/><bpmn:endEvent id="low"/>'
           '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>'
           '<bpmn:sequenceFlow id="f_high" sourceRef="gw" targetRef="high"><bpmn:conditionExpression '
           'xsi:type="bpmn:tFormalExpression">COND</bpmn:conditionExpression></bpmn:sequenceFlow>'
           '<bpmn:sequenceFlow id="f_low" sourceRef="gw" targetRef="low"/>')


def ended_at(workflow: WorkflowRun) -> set[str]:
    return {state.element_id for state in workflow.element_states() if state.state == "done"} & {"high", "low"}


@pytest.mark.parametrize("condition, data, expected", [
    ("amount &gt; 500", {"amount": 600}, "high"),
    ("amount &gt; 500", {"amount": 400}, "low"),
    ('=invoice.supplier.country = "NL" and count(lines) &gt;= 2', {"invoice": {"supplier": {"country": "NL"}},
                                                                   "lines": [1, 2]}, "high"),
    ("${amount gt 500 &amp;&amp; not empty approver}", {"amount": 501, "approver": "anna"}, "high"),
    ("${amount gt 500 &amp;&amp; not empty approver}", {"amount": 501, "approver": ""}, "low"),
    ('route_type in ("all", "one")', {"route_type": "one"}, "high"),
    ("missing = true", {}, "low"),  # an absent variable is null in FEEL, not an error
])
def test_a_feel_or_juel_condition_picks_the_path(condition, data, expected):
    assert ended_at(run(GATEWAY.replace("COND", condition), data)) == {expected}


@pytest.mark.parametrize("condition, reason", [
    ("amount == 500", "FEEL compares with =, not =="),
    ("approved = True", "FEEL writes true"),
    ("len(lines) &gt; 2", "unknown function 'len'"),
    ("amount &gt;", "not valid FEEL"),
    ("${order.total()}", "JUEL outside the supported subset"),
    ("${a} and ${b}", "JUEL outside the supported subset"),
])
def test_a_broken_condition_is_refused_naming_element_kind_and_text(condition, reason):
    with pytest.raises(ModelError) as refused:
        compiled(GATEWAY.replace("COND", condition))
    error = refused.value
    assert (error.element_id, error.kind) == ("f_high", "condition")
    assert reason in str(error)
    assert error.as_detail()["expression"].replace(">", "&gt;").replace("&", "&amp;").replace(
        "&amp;gt;", "&gt;") == condition


def test_a_parse_error_carries_its_position():
    with pytest.raises(ModelError) as refused:
        compiled(GATEWAY.replace("COND", "amount &gt; (1 +"))
    assert refused.value.position is not None and "position" in str(refused.value)


def test_assignee_and_candidates_are_feel_juel_or_fixed_names():
    body = chain('<bpmn:userTask id="e1" camunda:assignee="=lower case(owner)" '
                 'camunda:candidateGroups="${group}" camunda:candidateUsers="anna, bob" camunda:dueDate="=due">'
                 '<bpmn:extensionElements><camunda:properties>'
                 '<camunda:property name="candidateRoles" value=\'=if big then "admin" else null\' />'
                 '</camunda:properties></bpmn:extensionElements></bpmn:userTask>')
    task = run(body, {"owner": "ANNA", "group": "creditors", "big": True, "due": "2026-12-24"}).ready_user_tasks()[0]
    assignment = task.assignment
    assert assignment.assignee == "anna"
    assert assignment.candidate_groups == ("creditors",)
    assert assignment.candidate_users == ("anna", "bob")
    assert assignment.candidate_roles == ("admin",)
    assert assignment.due_date == "2026-12-24"


def test_zeebe_assignment_definitions_are_feel():
    body = chain('<bpmn:userTask id="e1"><bpmn:extensionElements><zeebe:assignmentDefinition '
                 'assignee="=approvers[1]" candidateGroups="=[&quot;a&quot;, &quot;b&quot;]"/>'
                 '</bpmn:extensionElements></bpmn:userTask>')
    task = run(body, {"approvers": ["carla", "dirk"]}).ready_user_tasks()[0]
    assert task.assignment.assignee == "carla" and task.assignment.candidate_groups == ("a", "b")


@pytest.mark.parametrize("definition", ["PT1H", '"PT1H"', "=duration(&quot;PT1H&quot;)", "=wait",
                                        "${wait}"])
def test_timer_durations_are_feel_or_bare_iso(definition):
    body = chain('<bpmn:intermediateCatchEvent id="e1"><bpmn:timerEventDefinition><bpmn:timeDuration '
                 f'xsi:type="bpmn:tFormalExpression">{definition}</bpmn:timeDuration></bpmn:timerEventDefinition>'
                 '</bpmn:intermediateCatchEvent>')
    before = dt.datetime.now(dt.timezone.utc)
    workflow = run(body, {"wait": "PT1H"})
    (timer,) = workflow.pending_timers()
    assert timer.element_id == "e1"
    assert dt.timedelta(minutes=59) < timer.due_at - before < dt.timedelta(minutes=61)
    assert workflow.fire_timer(timer.task_id)
    assert workflow.advance() is None and workflow.is_completed


def test_a_timer_date_is_a_feel_expression():
    body = chain('<bpmn:intermediateCatchEvent id="e1"><bpmn:timerEventDefinition><bpmn:timeDate '
                 'xsi:type="bpmn:tFormalExpression">=string(deadline)</bpmn:timeDate></bpmn:timerEventDefinition>'
                 '</bpmn:intermediateCatchEvent>')
    (timer,) = run(body, {"deadline": "2030-01-02T09:00:00+00:00"}).pending_timers()
    assert timer.due_at == dt.datetime(2030, 1, 2, 9, tzinfo=dt.timezone.utc)


def test_a_multi_instance_collection_expression_and_completion_condition():
    body = chain('<bpmn:userTask id="e1" camunda:assignee="=approver">'
                 '<bpmn:multiInstanceLoopCharacteristics camunda:collection="=split(names, &quot;,&quot;)" '
                 'camunda:elementVariable="approver"><bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
                 'decision = "disapprove"</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>'
                 '</bpmn:userTask>')
    workflow = run(body, {"names": "anna,bob,carla"})
    tasks = workflow.ready_user_tasks()
    assert sorted(t.assignment.assignee for t in tasks) == ["anna", "bob", "carla"]
    first = tasks[0]
    workflow.complete_user_task(first.task_id, {"decision": "disapprove"})
    assert workflow.advance() is None
    assert workflow.is_completed and workflow.ready_user_tasks() == []


def test_zeebe_loop_characteristics_name_the_collection():
    body = chain('<bpmn:userTask id="e1" camunda:assignee="=item_user"><bpmn:multiInstanceLoopCharacteristics>'
                 '<bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=people" '
                 'inputElement="item_user"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>'
                 '</bpmn:userTask>')
    tasks = run(body, {"people": ["x", "y"]}).ready_user_tasks()
    assert sorted(t.assignment.assignee for t in tasks) == ["x", "y"]


def test_camunda_input_output_mappings_run_before_and_after_the_task():
    body = chain('<bpmn:userTask id="e1"><bpmn:extensionElements><camunda:inputOutput>'
                 '<camunda:inputParameter name="total">${net + vat}</camunda:inputParameter>'
                 '<camunda:inputParameter name="label">fixed text</camunda:inputParameter>'
                 '<camunda:outputParameter name="approved_total">=if ok then total else 0</camunda:outputParameter>'
                 '</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>')
    workflow = run(body, {"net": 100, "vat": 21.5})
    (task,) = workflow.ready_user_tasks()
    assert task.data["total"] == 121.5 and task.data["label"] == "fixed text"
    workflow.complete_user_task(task.task_id, {"ok": True})
    assert workflow.advance() is None
    assert workflow.data["approved_total"] == 121.5


def test_zeebe_io_mappings_on_a_service_task():
    body = chain('<bpmn:serviceTask id="e1" camunda:topic="log"><bpmn:extensionElements><zeebe:ioMapping>'
                 '<zeebe:input source="=count(lines)" target="n"/><zeebe:output source="=n * 2" target="double"/>'
                 '</zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>')
    data = run(body, {"lines": [1, 2, 3]}).data
    assert data["n"] == 3 and data["double"] == 6
    assert type(data["double"]) is int  # FEEL numbers come back JSON-friendly


def test_service_parameters_are_feel():
    body = chain('<bpmn:serviceTask id="e1" camunda:topic="log" camunda:resultVariable="sent"><bpmn:extensionElements>'
                 '<camunda:properties><camunda:property name="to" value=\'route_type + ":" + string(route_to)\'/>'
                 '<camunda:property name="doc" value="{name: filename}"/></camunda:properties>'
                 '</bpmn:extensionElements></bpmn:serviceTask>')
    data = run(body, {"route_type": "group", "route_to": "creditors", "filename": "a.xml"}).data
    assert data["sent"] == {"to": "group:creditors", "doc": {"name": "a.xml"}}


@pytest.mark.parametrize("task", [
    '<bpmn:scriptTask id="e1" scriptFormat="feel" camunda:resultVariable="total">'
    '<bpmn:script>sum(amounts) * 1.21</bpmn:script></bpmn:scriptTask>',
    '<bpmn:scriptTask id="e1" scriptFormat="FEEL" camunda:resultVariable="total">'
    '<bpmn:script>=sum(amounts) * 1.21</bpmn:script></bpmn:scriptTask>',
    '<bpmn:scriptTask id="e1"><bpmn:extensionElements><zeebe:script expression="=sum(amounts) * 1.21" '
    'resultVariable="total"/></bpmn:extensionElements></bpmn:scriptTask>',
    '<bpmn:scriptTask id="e1" scriptFormat="feel"><bpmn:script>{total: sum(amounts) * 1.21}</bpmn:script>'
    '</bpmn:scriptTask>',
    '<bpmn:scriptTask id="e1"><bpmn:script>={total: sum(amounts) * 1.21}</bpmn:script></bpmn:scriptTask>',
])
def test_a_feel_script_task_sets_its_result_variable(task):
    data = run(chain(task), {"amounts": [10, 90]}).data
    assert data["total"] == 121 and type(data["total"]) is int
    assert data["amounts"] == [10, 90]


def test_a_feel_script_without_result_variable_must_be_a_context():
    with pytest.raises(ModelError) as refused:
        compiled(chain('<bpmn:scriptTask id="e1" scriptFormat="feel"><bpmn:script>1 + 1</bpmn:script>'
                       '</bpmn:scriptTask>'))
    assert refused.value.element_id == "e1" and "result variable" in str(refused.value)


@pytest.mark.parametrize("task, reason", [
    ('<bpmn:scriptTask id="e1" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "'javascript' is not supported"),
    ('<bpmn:scriptTask id="e1" scriptFormat="python"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "setting python_scripts"),
    ('<bpmn:scriptTask id="e1"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>', "setting python_scripts"),
    ('<bpmn:scriptTask id="e1" scriptFormat="feel" camunda:resultVariable="a b"><bpmn:script>1</bpmn:script>'
     '</bpmn:scriptTask>', "not a valid variable name"),
])
def test_other_script_languages_are_refused_at_deploy(task, reason):
    with pytest.raises(ModelError) as refused:
        compiled(chain(task))
    assert refused.value.element_id == "e1" and reason in str(refused.value)


def test_a_failing_feel_evaluation_is_an_incident_naming_the_element():
    body = ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="end"/>'
            '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="end"><bpmn:conditionExpression '
            'xsi:type="bpmn:tFormalExpression">amount &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>')
    workflow = WorkflowRun.start(compiled(body), {"amount": "not a number"})  # type: ignore[arg-type]
    failure = workflow.advance()
    assert failure is not None and failure.element_id == "gw"
    assert not workflow.is_completed


def test_a_feel_script_over_its_bounds_is_an_incident_and_the_next_one_runs():
    body = chain('<bpmn:scriptTask id="e1" scriptFormat="feel" camunda:resultVariable="n">'
                 '<bpmn:script>count(for i in 1..100000000 return i)</bpmn:script></bpmn:scriptTask>')
    workflow = WorkflowRun.start(compiled(body), {})  # type: ignore[arg-type]
    failure = workflow.advance()
    assert failure is not None and failure.element_id == "e1"
    assert run(chain('<bpmn:scriptTask id="e1" scriptFormat="feel" camunda:resultVariable="n">'
                     '<bpmn:script>count([1, 2])</bpmn:script></bpmn:scriptTask>')).data["n"] == 2


def test_a_python_expression_language_is_refused_where_python_is_off():
    with pytest.raises(ModelError) as refused:
        compiled(GATEWAY.replace("COND", "amount &gt; 1").replace(
            'xsi:type="bpmn:tFormalExpression"', 'xsi:type="bpmn:tFormalExpression" language="python"'))
    assert refused.value.element_id == "f_high" and "python_scripts" in str(refused.value)


def test_mappings_where_the_engine_cannot_apply_them_are_refused():
    with pytest.raises(ModelError) as refused:
        compiled(chain('<bpmn:intermediateThrowEvent id="e1"><bpmn:extensionElements><camunda:inputOutput>'
                       '<camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>'
                       '</bpmn:extensionElements></bpmn:intermediateThrowEvent>'))
    assert refused.value.element_id == "e1" and "mappings are supported on" in str(refused.value)


def test_the_shipped_templates_are_feel_only():
    """No Python and no JUEL: they deploy where Python is off, and their scripts are FEEL."""
    from server.instances.registry import default_services
    from server.instances.shipped import shipped_models

    for model in shipped_models():
        text = next(iter(model.bpmn.values())).decode()
        assert "${" not in text and 'scriptFormat="python"' not in text, model.key
        assert compile_model(bpmn=model.bpmn, dmn=model.dmn, forms=model.forms, services=default_services(),
                             python_scripts=False).process_id == model.key


def test_the_purchase_template_lists_its_approvers_in_feel():
    from server.instances.registry import default_services
    from server.instances.shipped import shipped_models
    from server.engine.model import CompiledModel

    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    compiled_model: CompiledModel = compile_model(bpmn=model.bpmn, dmn=model.dmn, forms=model.forms,
                                                  services=default_services())
    spec = next(s for s in compiled_model.process.spec.task_specs.values()
                if getattr(s, "bpmn_id", None) == "prepare_approvers")
    from server.engine.script_engine import Environment

    data = {"route_to": " anna, bob ,, carla "}
    Environment(lambda: False).execute(spec.script, data)
    assert data["approvers"] == ["anna", "bob", "carla"]


def form(hide: str) -> dict[str, bytes]:
    schema = {"id": "review", "type": "default", "components": [
        {"type": "group", "label": "Details", "components": [
            {"type": "textfield", "key": "reason", "label": "Reason", "conditional": {"hide": hide}}]}]}
    return {"review.form": json.dumps(schema).encode()}


@pytest.mark.parametrize("hide", [ESCAPE_EXPRESSION, "=decision == \"approve\"", "=amount >"])
def test_a_form_condition_that_is_not_feel_is_refused_at_deploy_naming_form_and_field(hide):
    with pytest.raises(ModelError) as refused:
        compile_model(bpmn=process(chain('<bpmn:userTask id="e1"/>')), forms=form(hide),
                      services=ServiceRegistry({}))
    assert refused.value.file == "review.form" and refused.value.element_id == "reason"
    assert refused.value.kind == "form condition" and "FEEL" in refused.value.reason


def test_a_feel_form_condition_deploys():
    compiled_model = compile_model(bpmn=process(chain('<bpmn:userTask id="e1"/>')),
                                   forms=form('=decision != "disapprove"'), services=ServiceRegistry({}))
    assert "review" in compiled_model.forms


@pytest.mark.parametrize("definition", ["=true", "=1 &gt; 0"])
def test_a_timer_expression_of_the_wrong_type_fails_naming_its_element(definition):
    body = chain('<bpmn:intermediateCatchEvent id="e1"><bpmn:timerEventDefinition><bpmn:timeDuration '
                 f'xsi:type="bpmn:tFormalExpression">{definition}</bpmn:timeDuration></bpmn:timerEventDefinition>'
                 '</bpmn:intermediateCatchEvent>')
    workflow = WorkflowRun.start(compiled(body), {})  # type: ignore[arg-type]
    failure = workflow.advance()
    assert failure is not None and failure.element_id == "e1"
