"""Deploying a broken or hostile BPMN file is refused with a ModelError and its reason, never a crash."""
from __future__ import annotations

from hypothesis import example, given

from server.engine import ModelError, ServiceRegistry, compile_model
from tests.fuzz.hostile import corpus_bytes, corpus_files, fuzz_settings, hostile, nested

A_MODEL = next(p for p in corpus_files("bpmn") if p.name == "bpmnio-C.6.0-export.bpmn")


@fuzz_settings(150)
@given(hostile("bpmn"))
@example(corpus_bytes(A_MODEL).replace(b'x="', b'x="580-', 1)).via("a coordinate that is not a number")
@example(nested(300, tag=b"definitions")).via("deeply nested elements")
@example(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><definitions>&a;</definitions>').via("DTD")
def test_any_bpmn_bytes_compile_or_are_refused_with_a_model_error(data):
    try:
        model = compile_model(bpmn={"fuzz.bpmn": data}, services=ServiceRegistry())
    except ModelError as exc:
        assert exc.reason.strip()
    else:
        assert model.process_id
