"""Form data is checked on the server against the task's form-js schema (no database needed)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.errors import InvalidInput
from server.tasks.forms import validate_submission

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "data" / "bpmn" / "tasks" / "approval.form").read_text())


def problems(data, schema=SCHEMA):
    with pytest.raises(InvalidInput) as bad:
        validate_submission(schema, data)
    return {p["field"]: p["message"] for p in bad.value.details}


def test_a_good_submission_is_cleaned_of_fields_the_form_does_not_declare():
    data = {"cost_center": "200", "approved": True, "comment": "ok", "booked_amount": 12.5,
            "gl_account": "4010", "book_date": "2030-01-31", "route_group": "board", "_actors": {"x": ["me"]}}
    assert validate_submission(SCHEMA, data) == {"cost_center": "200", "approved": True, "comment": "ok",
                                                 "booked_amount": 12.5, "gl_account": "4010",
                                                 "book_date": "2030-01-31"}


def test_each_bad_field_is_named():
    found = problems({"approved": "yes", "comment": "x" * 201, "booked_amount": 10001, "gl_account": "40A0",
                      "book_date": "31-01-2030"})
    assert found == {"cost_center": "is required", "approved": "must be true or false",
                     "comment": "must be at most 200 characters", "booked_amount": "must be at most 10000",
                     "gl_account": "does not match the pattern ^[0-9]{4}$",
                     "book_date": "must be an ISO date"}


def test_options_types_and_minimums():
    assert problems({"cost_center": "999"}) == {"cost_center": "must be one of 100, 200"}
    assert problems({"cost_center": "100", "booked_amount": -1}) == {"booked_amount": "must be at least 0"}
    assert problems({"cost_center": "100", "booked_amount": True}) == {"booked_amount": "must be a number"}
    assert problems({"cost_center": "100", "comment": 5}) == {"comment": "must be text"}


def test_groups_lists_radios_and_lengths():
    schema = {"components": [
        {"type": "group", "components": [{"type": "textfield", "key": "name", "validate": {"minLength": 2}}]},
        {"type": "radio", "key": "choice", "values": [{"label": "A", "value": "a"}]},
        {"type": "checklist", "key": "tags", "values": [{"label": "X", "value": "x"}]},
        {"type": "dynamiclist", "path": "lines", "components": [
            {"type": "number", "key": "qty", "validate": {"required": True, "min": 1}}]},
        {"type": "checkbox", "key": "agree", "validate": {"required": True}},
        {"type": "textfield", "key": "mail", "validate": {"validationType": "email"}},
    ]}
    assert problems({"name": "a", "choice": "b", "tags": ["x", "y"], "lines": [{"qty": 2}, {}],
                     "agree": False, "mail": "nope"}, schema) == {
        "name": "must be at least 2 characters", "choice": "must be one of a", "tags": "must be one of x",
        "lines[1].qty": "is required", "agree": "must be checked", "mail": "must be an e-mail address"}
    good = {"name": "Jo", "choice": "a", "tags": ["x"], "lines": [{"qty": 3}], "agree": True, "mail": "a@b.nl"}
    assert validate_submission(schema, good) == good


def test_a_task_without_a_form_takes_plain_fields_but_never_reserved_ones():
    assert validate_submission(None, {"approved": True}) == {"approved": True}
    assert problems({"_actors": {}}, None) == {"_actors": "field names must be 1-100 characters, not starting with '_'"}


SHIPPED_APPROVAL = json.loads((Path(__file__).resolve().parents[3] / "bpmn" / "forms" / "invoice_approval.json")
                              .read_text())


def test_a_disapproval_needs_its_reason_because_the_field_is_shown_then():
    assert problems({"decision": "disapprove"}, SHIPPED_APPROVAL) == {"reason": "is required"}
    cleaned = validate_submission(SHIPPED_APPROVAL, {"decision": "disapprove", "reason": "wrong VAT"})
    assert cleaned["reason"] == "wrong VAT"


def test_an_approval_hides_the_reason_so_it_is_neither_required_nor_kept():
    cleaned = validate_submission(SHIPPED_APPROVAL, {"decision": "approve", "reason": "left over"})
    assert cleaned["decision"] == "approve" and "reason" not in cleaned
