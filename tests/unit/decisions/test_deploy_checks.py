"""A table that cannot be evaluated is refused at parse time, naming decision, rule, column and text."""
from __future__ import annotations

import pytest

from server.decisions import DecisionParseError, parse_dmn
from tests.unit.decisions.builders import literal_xml, table_xml

INPUTS = [("Amount", "amount", "number"), ("Supplier", "supplier", "string")]


def refuse(xml: bytes) -> DecisionParseError:
    with pytest.raises(DecisionParseError) as caught:
        parse_dmn(xml, source="t.dmn")
    return caught.value


def test_bad_input_cell_names_decision_rule_column_and_text() -> None:
    error = refuse(table_xml([(["< 10", "-"], ['"a"']), (["[1..", "-"], ['"b"'])], inputs=INPUTS,
                             outputs=[("route", "string")]))
    assert (error.decision, error.rule, error.column, error.text) == ("d", 2, "Amount", "[1..")
    assert "decision 'd', rule 2, column 'Amount'" in str(error) and "'[1..'" in str(error)
    assert error.as_dict()["code"] == "decision_invalid"


def test_bad_output_cell_is_named_by_output_name() -> None:
    error = refuse(table_xml([(["-", "-"], ['"unterminated'])], inputs=INPUTS, outputs=[("route", "string")]))
    assert (error.rule, error.column, error.text) == (1, "route", '"unterminated')


def test_bad_input_expression_is_named_by_label() -> None:
    error = refuse(table_xml([(["-"], ["1"])], inputs=[("Total", "amount +", "number")],
                             outputs=[("x", "number")]))
    assert (error.rule, error.column) == (None, "Total")


@pytest.mark.parametrize("cell", ['__import__("os")', 'open("x")', 'eval("1+1")', "lambda: 1",
                                  'getattr(x, "y")'])
def test_python_in_a_cell_is_refused_not_executed(cell: str) -> None:
    error = refuse(table_xml([([cell, "-"], ['"a"'])], inputs=INPUTS, outputs=[("route", "string")]))
    assert error.rule == 1 and error.column == "Amount" and error.text == cell


def test_unknown_function_and_wrong_arity_are_refused() -> None:
    assert "unknown function 'startswith'" in str(refuse(table_xml(
        [(['startswith(?, "6")', "-"], ['"a"'])], inputs=INPUTS, outputs=[("r", "string")])))
    assert "takes 2 argument(s), 1 given" in str(refuse(table_xml(
        [(['starts with(?)', "-"], ['"a"'])], inputs=INPUTS, outputs=[("r", "string")])))


def test_structural_problems_are_refused() -> None:
    assert "1 input and 1 output entries, the table has 2 and 1" in str(
        refuse(table_xml([(["1"], ['"a"'])], inputs=INPUTS, outputs=[("r", "string")])))
    assert "unknown hit policy" in str(
        refuse(table_xml([(["1", "-"], ['"a"'])], inputs=INPUTS, outputs=[("r", "string")], hit_policy="MOST")))
    assert "only allowed with COLLECT" in str(refuse(table_xml(
        [(["1", "-"], ["1"])], inputs=INPUTS, outputs=[("r", "number")], hit_policy="FIRST", aggregation="SUM")))
    assert "cycle" in str(refuse(literal_xml({"a": "b", "b": "a"}, requires={"a": ["b"], "b": ["a"]})))
    assert "does not exist" in str(refuse(literal_xml({"a": "1"}, requires={"a": ["zz"]})))


def test_documents_that_are_not_dmn_are_refused() -> None:
    assert "not well-formed" in str(refuse(b"<definitions"))
    assert "not a DMN" in str(refuse(b'<definitions xmlns="http://example.com"/>'))


def test_entities_are_not_expanded() -> None:
    xml = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           + literal_xml({"a": '"x"'}).replace(b'"x"', b"&e;"))
    with pytest.raises(DecisionParseError):
        parse_dmn(xml)
