"""web/stroom-moddle.json, which the properties panel's Stroom group is built from, names exactly the
properties the server reads, in the form it reads them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.engine.assignment import resolve_assignment
from server.instances.starts import SYSTEM_START_ONLY
from server.mail.notifications import parse_duration
from server.tasks.due import task_due

DESCRIPTOR = json.loads((Path(__file__).resolve().parents[3] / "web" / "stroom-moddle.json").read_text())
SETTINGS = {p["name"]: p["meta"] for t in DESCRIPTOR["types"] for p in t["properties"]}


def test_the_group_offers_the_settings_stroom_executes() -> None:
    stored = {meta.get("camundaProperty") or meta.get("camundaAttribute") for meta in SETTINGS.values()}
    assert stored == {"fourEyes", "candidateRoles", "dueMarginDays", "notify", "remind", "delegateDecides",
                      SYSTEM_START_ONLY, "camunda:decisionRef"}


def test_four_eyes_and_candidate_roles_are_read_by_the_assignment() -> None:
    props = {SETTINGS["fourEyes"]["camundaProperty"]: "initiator, submitted_by",
             SETTINGS["candidateRoles"]["camundaProperty"]: "controller"}
    assignment = resolve_assignment(props, {}, lane=None)
    assert (assignment.four_eyes, assignment.candidate_roles) == (("initiator", "submitted_by"), ("controller",))


def test_the_due_margin_is_read_by_the_task_list() -> None:
    due = task_due(None, {"invoice": {"due_date": "2026-03-31"}}, {SETTINGS["dueMarginDays"]["camundaProperty"]: "5"})
    assert due is not None and due.date().isoformat() == "2026-03-26"
    assert re.match(SETTINGS["dueMarginDays"]["pattern"], "5") and not re.match(SETTINGS["dueMarginDays"]["pattern"], "x")


@pytest.mark.parametrize("text", ["P2D", "PT1H30M", "P2W", "P1DT12H", "two days", "P", "PT", "P1Y", "2D"])
def test_the_panel_accepts_a_reminder_exactly_when_the_mail_service_does(text: str) -> None:
    assert bool(re.match(SETTINGS["remind"]["pattern"], text)) == (parse_duration(text) is not None)
