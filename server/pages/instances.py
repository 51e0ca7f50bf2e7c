"""Process instances: the list, and one instance on its diagram with data, history and admin actions."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.batches import selection
from server.errors import InvalidInput
from server.instances import service as instances
from server.instances import view, wording
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.operations import incidents as incident_ops
from server.operations import instances as operations
from server.operations import jobs as job_ops
from server.operations import repair
from server.operations import tasks as task_ops
from server.pages import batches as batch_pages
from server.pages import findings, model_words, words
from server.pages.common import Paging, actor, blueprint, host, page, page_number
from server.pages.diagrams import flow_elements
from server.tasks.models import HumanTask
from server.wording import Texts, translate_diagram

bp = blueprint("instance_pages", __name__, url_prefix="/instances")
PER_PAGE = 25
STATUSES = ("running", "suspended", "failed", "completed", "terminated")
ADMIN_ACTIONS = ("suspend", "resume", "terminate", "retry", "move", "restart", "restart_instance", "reassign",
                 "set_variables")
JOB_ACTIONS = ("fire", "due")


@bp.get("")
@page("instances.read")
def instance_list() -> ResponseReturnValue:
    """The instances, newest first, by the filter a batch takes too (an admin reviews a batch from here)."""
    who = actor()
    status, model = request.args.get("status", ""), request.args.get("model", "")
    chosen = batch_pages.filter_of(request.args.to_dict())
    number = page_number()
    with host().db.unit_of_work() as db:
        query = select(ProcessInstance).where(ProcessInstance.environment_id == who.environment_id)
        if chosen:
            query = selection.narrow(query, selection.parse_filter(chosen))
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = [{"id": i.id, "model": i.model_key, "business_key": i.business_key, "status": i.status,
                 "started_at": i.started_at, "started_by": i.started_by, "updated_at": i.updated_at}
                for i in db.scalars(query.order_by(ProcessInstance.id.desc())
                                    .offset((number - 1) * PER_PAGE).limit(PER_PAGE))]
        models = list(db.scalars(select(ProcessInstance.model_key).where(
            ProcessInstance.environment_id == who.environment_id).distinct().order_by(ProcessInstance.model_key)))
        # Rows and the filter name each process as its newest version does, in the reader's language.
        names = wording.model_names(db, host(), who.environment_id, words.language())
    for row in rows:
        row["process"] = names.get(str(row["model"]), str(row["model"]))
    return render_template("instances/list.html", paging=Paging(rows, total, number, PER_PAGE), status=status,
                           model=model, statuses=STATUSES, models=[(m, names.get(m, m)) for m in models],
                           chosen=chosen, kinds=batch_pages.kind_choices())


def _elements(version: ProcessModelVersion, texts: Texts) -> list[tuple[str, str]]:
    """(id, name) of the model's flow elements, for the 'move to' and 'restart at' choices."""
    found: list[tuple[str, str]] = []
    for text in version.bpmn_sources.values():
        found.extend(flow_elements(text.encode("utf-8"), process_id=version.process_id))
    return [(element_id, texts(name)) for element_id, name in found]


@bp.get("/<int:instance_id>")
@page("instances.read")
def instance_page(instance_id: int) -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        instance = instances.get_instance(db, who.environment_id, instance_id)
        version = instances.version_of(db, instance)
        run = instances.load_run(db, host(), instance, actor=who)
        states = [{"id": s.element_id, "state": s.state} for s in run.element_states()]
        # Masked as the API masks it: the page is read by people who must not see secrets either.
        masked = view.mask_secrets(run.last_data())
        data = json.dumps(masked, indent=2, default=str, ensure_ascii=False, sort_keys=True)
        history = db.scalars(select(AuditEvent).where(AuditEvent.environment_id == who.environment_id,
                                                      AuditEvent.instance_id == instance.id)
                             .order_by(AuditEvent.seq)).all()
        open_tasks = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                .order_by(HumanTask.id)).all()
        incidents = db.scalars(select(Incident).where(Incident.instance_id == instance.id)
                               .order_by(Incident.id)).all()
        jobs = job_ops.instance_jobs(db, actor=who, instance_id=instance.id)
        texts = wording.version_texts(host(), version, words.language())
        return render_template("instances/instance.html", instance=instance, version=version, data=data,
                               summary=_summary(masked, texts), process_name=texts(version.name or instance.model_key),
                               model_text=texts,
                               states=json.dumps(states), history=history, tasks=open_tasks, jobs=jobs,
                               incidents=incidents, elements=_elements(version, texts),
                               failed=[s for s in states if s["state"] == "failed"])


def _summary(data: Mapping[str, Any], texts: Texts) -> list[tuple[str, str]]:
    """The invoice an instance handles in words (what a business user needs instead of the data as JSON):
    amounts and dates in the reader's locale, the route and findings of the decision tables translated."""
    invoice = data.get("invoice")
    if not isinstance(invoice, Mapping):
        return []
    amount = words.money_words(invoice.get("payable_amount"), invoice.get("currency"))
    facts = [(_("Invoice number"), invoice.get("number")), (_("Supplier"), invoice.get("supplier_name")),
             (_("Amount due"), amount), (_("Issue date"), words.date_words(invoice.get("issue_date"))),
             (_("Due date"), words.date_words(invoice.get("due_date"))),
             (_("Order reference"), invoice.get("order_reference")),
             (_("Field checks"), words.value_words(model_words.data_value(data.get("validation_reasons"), texts))
              if data.get("validation_reasons") else None),
             (_("Reason for the route"), texts(data.get("reason")) if isinstance(data.get("reason"), str) else None),
             (_("Matching findings"),
              "; ".join(findings.match_reasons_words(data.get("match_coded_reasons"), data.get("match_reasons"))))]
    return [(label, str(value)) for label, value in facts if value]


@bp.get("/<int:instance_id>/diagram.bpmn")
@page("instances.read")
def diagram(instance_id: int) -> Response:
    """The BPMN XML of the version the instance runs on (for the viewer)."""
    who = actor()
    with host().db.unit_of_work() as db:
        text = view.diagram(db, actor=who, instance_id=instance_id)
        texts = wording.texts_of_instance(db, host(), instance_id, words.language())
    return Response(translate_diagram(text, texts), mimetype="application/xml")


def _names(field: str) -> list[str]:
    return [n.strip() for n in request.form.get(field, "").split(",") if n.strip()]


def _run_action(action: str, instance_id: int) -> operations.InstanceView | None:
    """Call the one operation behind a form, inside one unit of work; its view (None for reassign)."""
    who, reason, form = actor(), request.form.get("reason"), request.form
    element = form.get("element") or None
    with host().db.unit_of_work() as db:
        if action in ("suspend", "resume", "terminate"):
            verb = {"suspend": operations.suspend, "resume": operations.resume,
                    "terminate": operations.terminate}[action]
            return verb(db, host(), actor=who, instance_id=instance_id, reason=reason)
        if action == "retry":
            incident = form.get("incident_id", "")
            return operations.retry(db, host(), actor=who, instance_id=instance_id, reason=reason,
                                    incident_id=int(incident) if incident.isdigit() else None)
        if action == "move":
            return operations.move(db, host(), actor=who, instance_id=instance_id, to_element=element, reason=reason)
        if action == "restart":
            return operations.restart_step(db, host(), actor=who, instance_id=instance_id, element_id=element,
                                           reason=reason)
        if action == "set_variables":
            return repair.set_variables(db, host(), actor=who, instance_id=instance_id, reason=reason,
                                        variables=repair.variables_from_text(form.get("variables")))
        if action == "restart_instance":
            return operations.restart(db, host(), actor=who, instance_id=instance_id, element_id=element,
                                      reason=reason)
        task = form.get("task_id", "")
        if not task.isdigit():
            raise InvalidInput(_("Choose a task to reassign."), code="task_required")
        task_ops.reassign(db, host(), actor=who, task_id=int(task), reason=reason, instance_id=instance_id,
                          assignee=form.get("assignee", "").strip() or None, groups=_names("groups"),
                          users=_names("users"), roles=_names("roles"), edge="web")
        return None


@bp.post("/<int:instance_id>/admin/<action>")
@page("instances.admin")
def admin_action(instance_id: int, action: str) -> ResponseReturnValue:
    if action not in ADMIN_ACTIONS:
        raise InvalidInput(_("Unknown operation."), code="unknown_operation")
    result = _run_action(action, instance_id)
    if result is not None and result.status == "failed":
        flash(_("%(action)s was done, but the instance failed at %(steps)s; see the incident.", action=_(action),
                steps=", ".join(result.failed_steps) or "?"), "error")
    else:
        flash(_("Done: %(action)s. The instance is %(status)s.", action=_(action),
                status=_(result.status) if result is not None else _("unchanged")), "success")
    return redirect(url_for("instance_pages.instance_page", instance_id=instance_id))


@bp.post("/<int:instance_id>/jobs/<int:job_id>/<action>")
@page("instances.admin")
def job_action(instance_id: int, job_id: int, action: str) -> ResponseReturnValue:
    """Fire a job of the instance now, or give it another due time (the form's date and time, in the
    deployment's zone: STROOM_TIMEZONE)."""
    if action not in JOB_ACTIONS:
        raise InvalidInput(_("Unknown operation."), code="unknown_operation")
    who, reason = actor(), request.form.get("reason")
    with host().db.unit_of_work() as db:
        if action == "fire":
            job = job_ops.fire(db, actor=who, job_id=job_id, reason=reason, instance_id=instance_id)
        else:
            job = job_ops.set_due(db, actor=who, job_id=job_id, due_at=words.moment_in_zone(request.form.get("due_at")),
                                  reason=reason, instance_id=instance_id)
    flash(_("Job %(id)s (%(kind)s) is due at %(due)s %(zone)s; the worker runs it then.", id=job.id, kind=job.kind,
            due=f"{words.local_moment(job.due_at):%Y-%m-%d %H:%M:%S}", zone=host().settings.timezone), "success")
    return redirect(url_for("instance_pages.instance_page", instance_id=instance_id))


@bp.get("/incidents")
@page("instances.read")
def incidents() -> ResponseReturnValue:
    """Open incidents counted by cause (with where they happen), and the newest open ones."""
    who = actor()
    with host().db.unit_of_work() as db:
        counts = incident_ops.cause_counts(db, actor=who)
        rows: list[Any] = list(db.scalars(select(Incident).where(Incident.environment_id == who.environment_id,
                                                                 Incident.status == "open")
                                          .order_by(Incident.id.desc()).limit(200)))
        return render_template("instances/incidents.html", counts=counts, incidents=rows)


@bp.post("/incidents/retry")
@page("instances.admin")
def retry_incidents() -> ResponseReturnValue:
    """Retry every open incident of the form's cause; says how many ran on, failed again or were refused."""
    done = incident_ops.retry_all(host(), actor=actor(), cause=request.form.get("cause"),
                                  reason=request.form.get("reason"))
    flash(_("%(cause)s: retried %(retried)s, failed again %(failed)s, refused %(refused)s.",
            cause=words.cause_words(done.cause, None), retried=done.count("retried"),
            failed=done.count("failed_again"), refused=done.count("refused")),
          "success" if not done.count("failed_again") and not done.count("refused") else "error")
    return redirect(url_for("instance_pages.incidents"))
