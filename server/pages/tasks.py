"""Task list and task page: the invoice beside the form; claim, complete, delegate."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.errors import InvalidInput
from server.instances import service as instances
from server.invoices.attachments import FIRST_NUMBER, download_name
from server.pages import forms, invoice_view
from server.pages import task_queries as queries
from server.pages.common import Paging, actor, blueprint, host, page, page_number
from server.tasks import service as tasks
from server.tasks.models import OPEN_STATUSES

bp = blueprint("task_pages", __name__, url_prefix="/tasks")
PER_PAGE = 25
INLINE_TYPES = {"application/pdf"}


@bp.get("")
@page("tasks.read")
def task_list() -> ResponseReturnValue:
    who = actor()
    filters = queries.TaskFilters.from_args(request.args)
    number = page_number()
    with host().db.unit_of_work() as db:
        found = queries.page_of(db, who, filters, page=number, per_page=PER_PAGE)
        items, total = found.tasks, found.total
        counts = queries.counts(db, who)
        processes = queries.process_keys(db, who.environment_id)
        rows = [_row(t, who) for t in items]
    return render_template("tasks/list.html", paging=Paging(rows, total, number, PER_PAGE), filters=filters,
                           counts=counts, processes=processes, groups=sorted(who.groups))


def _row(task: Any, who: Any) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "process": task.process_key, "status": task.status,
            "assignee": task.assignee, "supplier": task.supplier_name, "amount": task.amount,
            "due_at": task.due_at, "created_at": task.created_at, "completed_by": task.completed_by,
            "groups": task.candidate_groups, "may_act": tasks.may_act(who, task)}


@bp.get("/<int:task_id>")
@page("tasks.read")
def task_page(task_id: int) -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        task = tasks.get_task(db, who, task_id)
        instance = instances.get_instance(db, who.environment_id, task.instance_id)
        invoice = invoice_view.invoice_for_instance(db, who.environment_id, instance.id)
        context = {
            "task": task, "instance": instance, "invoice": invoice,
            "lines": (invoice.data or {}).get("lines", []) if invoice else [],
            "flags": invoice_view.flags(invoice.collection or {}) if invoice else [],
            "decisions": invoice_view.decisions(db, who.environment_id, instance.id),
            "attachments": _attachment_list(db, invoice),
            "fields": forms.fields_of((task.form or {}).get("schema")),
            "is_open": task.status in OPEN_STATUSES, "may_act": tasks.may_act(who, task),
            "me": who.name,
        }
        return render_template("tasks/task.html", **context)


def _attachment_list(db: Any, invoice: Any) -> list[dict[str, Any]]:
    if invoice is None:
        return []
    return [{"number": n, "name": download_name(a, n), "mime": a.mime_type or "",
             "size": a.size, "description": a.description or "", "inline": a.mime_type in INLINE_TYPES}
            for n, a in enumerate(invoice_view.attachments(db, invoice), start=FIRST_NUMBER)]


@bp.get("/<int:task_id>/attachments/<int:number>")
@page("invoices.read")
def attachment(task_id: int, number: int) -> Response:
    """Embedded attachment `number` (from 1, as in the API): PDFs inline (for the viewer), else a download."""
    who = actor()
    with host().db.unit_of_work() as db:
        task = tasks.get_task(db, who, task_id)
        invoice = invoice_view.invoice_for_instance(db, who.environment_id, task.instance_id)
        found = invoice_view.attachments(db, invoice) if invoice else []
        if not FIRST_NUMBER <= number < len(found) + FIRST_NUMBER:
            abort(404)
        item = found[number - FIRST_NUMBER]
        name = download_name(item, number)
    inline = item.mime_type in INLINE_TYPES and request.args.get("download") != "1"
    response = Response(item.content, mimetype=item.mime_type if inline else "application/octet-stream")
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'self'"
    return response


@bp.post("/<int:task_id>/claim")
@page("tasks.act")
def claim(task_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        tasks.claim(db, actor=actor(), task_id=task_id)
    flash(_("You claimed the task."), "success")
    return redirect(url_for("task_pages.task_page", task_id=task_id))


@bp.post("/<int:task_id>/unclaim")
@page("tasks.act")
def unclaim(task_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        tasks.unclaim(db, actor=actor(), task_id=task_id)
    flash(_("The task is back with its group."), "success")
    return redirect(url_for("task_pages.task_page", task_id=task_id))


@bp.post("/<int:task_id>/complete")
@page("tasks.act")
def complete(task_id: int) -> ResponseReturnValue:
    """Approve / disapprove (with a comment) when the form offers that choice, else complete with the data."""
    who = actor()
    with host().db.unit_of_work() as db:
        task = tasks.get_task(db, who, task_id)
        schema = (task.form or {}).get("schema")
        fields = forms.fields_of(schema)
        data = forms.values_from(fields, request.form, request.form.to_dict(flat=False))
        choice_key = forms.decision_key(fields)
        choice = data.pop(choice_key, None) if choice_key else None
        if not forms.has_inputs(schema):
            data.pop("comment", None)
        missing = forms.missing_required([f for f in fields if f.key != choice_key], data)
        if missing:
            raise InvalidInput(_("Please fill in: %(fields)s", fields=", ".join(missing)), code="form_invalid")
        comment = request.form.get("comment", "").strip() or None
        if choice == "approve":
            tasks.approve(db, host(), actor=who, task_id=task_id, comment=comment, data=data)
        elif choice == "disapprove":
            tasks.disapprove(db, host(), actor=who, task_id=task_id, reason=comment, data=data)
        else:
            if choice_key and choice is not None:
                data[choice_key] = choice
            tasks.complete(db, host(), actor=who, task_id=task_id, data=data)
    flash(_("Task completed."), "success")
    return redirect(url_for("task_pages.task_list"))


@bp.post("/<int:task_id>/delegate")
@page("tasks.act")
def delegate(task_id: int) -> ResponseReturnValue:
    to_user = request.form.get("to_user", "").strip()
    environment = request.form.get("to_environment", "").strip() or None
    if not to_user:
        raise InvalidInput(_("Name a colleague to delegate to."), code="delegate_to_missing")
    with host().db.unit_of_work() as db:
        tasks.delegate(db, actor=actor(), task_id=task_id, to=to_user, environment=environment)
    flash(_("Task delegated to %(user)s.", user=to_user), "success")
    return redirect(url_for("task_pages.task_list"))
