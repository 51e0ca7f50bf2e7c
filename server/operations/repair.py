"""Repair an instance's data: the verb behind PUT /api/v1/process-instances/ID/variables, the instance
page's data form and `stroom instances set-variables`.

The new variables must be a JSON object; where the model declares its data (`stroom:startData` or
its start form, see server.instances.start_data) they must fit those declarations. Secrets arrive
masked and stay as they were unless a new value is given. The entry `admin.variables_set` keeps the
data before and after, masked. A failed step stays failed: the admin retries its incident next.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.engine import WorkflowRun
from server.errors import InvalidInput
from server.host import Host
from server.instances import admin, start_data
from server.instances import service as instances
from server.instances import view as views
from server.instances.models import ProcessInstance
from server.operations.instances import ADMIN, InstanceView, view_of


def set_variables(session: Session, host: Host, *, actor: Actor, instance_id: int, variables: object,
                  reason: str | None) -> InstanceView:
    """Replace the process data of a live instance (running, failed or suspended); 422 naming each field
    that does not fit the model's declarations, or when `variables` is not a JSON object."""
    require(actor, ADMIN)
    why = admin.checked_reason(reason)
    given = _object(variables)
    instance = admin.instance_in_state(session, actor, instance_id, admin.ACTIVE)
    fields = _declared(session, host, instance)
    masked_before: dict[str, Any] = {}

    def replace(run: WorkflowRun) -> dict[str, Any]:
        current = run.data
        new = views.keep_secrets(given, current)
        found = start_data.problems(fields, new)
        if found:
            raise InvalidInput(f"the variables do not fit the model: {start_data.said(found)}",
                               code="invalid_variables", details=found)
        masked_before.update(views.mask_secrets(current))
        run.replace_data(new)
        return {"data": views.mask_secrets(new)}

    work = admin.begin(session, host, actor=actor, instance=instance, change=replace)
    audit.record(session, actor=actor, action="admin.variables_set", target_type="instance",
                 target_id=instance.id, instance_id=instance.id, before={**work.before, "data": masked_before},
                 after=work.after, note=why)
    admin.finish(session, host, actor=actor, work=work)
    return view_of(session, host, actor=actor, instance_id=instance.id)


def variables_from_text(text: str | None) -> object:
    """The JSON document a page form or a file holds; InvalidInput naming the line when it is not JSON."""
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the variables are not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           code="invalid_variables", details=[{"field": "variables", "problem": exc.msg}]) from None


def _object(variables: object) -> dict[str, Any]:
    if not isinstance(variables, Mapping):
        kind = "a list" if isinstance(variables, list) else type(variables).__name__
        raise InvalidInput(f"the variables must be a JSON object, not {kind}", code="invalid_variables",
                           details=[{"field": "variables", "problem": "must be a JSON object"}])
    if not all(isinstance(k, str) for k in variables):
        raise InvalidInput("variable names must be strings", code="invalid_variables",
                           details=[{"field": "variables"}])
    return dict(variables)


def _declared(session: Session, host: Host, instance: ProcessInstance) -> list[start_data.StartField]:
    """The data fields the instance's model version declares (none: any JSON object fits)."""
    version = instances.version_of(session, instance)
    model = instances.compiled(host, version)
    return start_data.declared_fields(version.bpmn_sources, version.process_id, model.forms)
