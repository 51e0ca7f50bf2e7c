"""Data object references in nested subprocesses: resolved at any depth, or a clear model error.

SpiffWorkflow 3.2's parser looked a data object up in the task's own process and then in its parent
over and over: a reference it could not resolve there spun forever (found by bench/fuzz.py), so a
deploy request hung at 100% CPU. Each compile here runs on a thread with a deadline.
"""
from __future__ import annotations

import threading

import pytest

from server.engine import ModelError, ServiceRegistry, WorkflowRun, compile_model

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://example.com/stroom">
  <bpmn:process id="outer" isExecutable="true">
    <bpmn:dataObject id="top_total" />
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="level1" />
    <bpmn:subProcess id="level1">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="start1"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="start1" targetRef="level2" />
      <bpmn:subProcess id="level2">
        <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing>
        <bpmn:startEvent id="start2"><bpmn:outgoing>h1</bpmn:outgoing></bpmn:startEvent>
        <bpmn:sequenceFlow id="h1" sourceRef="start2" targetRef="compute" />
        <bpmn:dataObjectReference id="total_ref" dataObjectRef="{ref}" />
        <bpmn:scriptTask id="compute" scriptFormat="feel">
          <bpmn:incoming>h1</bpmn:incoming><bpmn:outgoing>h2</bpmn:outgoing>
          <bpmn:dataOutputAssociation id="out"><bpmn:targetRef>total_ref</bpmn:targetRef></bpmn:dataOutputAssociation>
          <bpmn:script>{{top_total: 42}}</bpmn:script>
        </bpmn:scriptTask>
        <bpmn:sequenceFlow id="h2" sourceRef="compute" targetRef="end2" />
        <bpmn:endEvent id="end2"><bpmn:incoming>h2</bpmn:incoming></bpmn:endEvent>
      </bpmn:subProcess>
      <bpmn:sequenceFlow id="g2" sourceRef="level2" targetRef="end1" />
      <bpmn:endEvent id="end1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="level1" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def compile_within(seconds: float, ref: str):
    """compile_model's result or exception; fails the test instead of hanging when it does not return."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["model"] = compile_model(bpmn={"nested.bpmn": MODEL.format(ref=ref).encode()},
                                             services=ServiceRegistry())
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "compiling the model did not return (the parser spins)"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["model"]


def test_a_data_object_two_levels_up_is_found_and_written():
    model = compile_within(10, "top_total")
    run = WorkflowRun.start(model, {})
    assert run.advance() is None and run.is_completed
    assert run.data["data_objects"] == {"top_total": 42}  # written to the outer process's object


def test_a_reference_to_no_data_object_is_a_model_error_naming_reference_and_object():
    with pytest.raises(ModelError, match="'total_ref' names data object 'nowhere'") as error:
        compile_within(10, "nowhere")
    assert error.value.element_id == "compute"
