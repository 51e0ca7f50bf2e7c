"""Task list and task page: the invoice beside the form; claim, complete, delegate."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.errors import InvalidInput
from server.instances import wording
from server.invoices.attachments import FIRST_NUMBER
from server.operations import task_filters as saved_filters
from server.operations import tasks as ops
from server.pages import findings, forms, invoice_view, model_words, refusals, words
from server.pages.common import Paging, actor, allowed, blueprint, host, page, page_number
from server.tasks import filters as queries
from server.tasks.models import OPEN_STATUSES
from server.wording import NO_TEXTS, Texts, translate_form

bp = blueprint("task_pages", __name__, url_prefix="/tasks")
PER_PAGE = 25
EDGE = "web"


@bp.get("")
@page("tasks.read")
def task_list() -> ResponseReturnValue:
    who = actor()
    filters = queries.TaskFilters.from_args(request.args)
    number = page_number()
    with host().db.unit_of_work() as db:
        found = ops.list_tasks(db, actor=who, query=filters.query(page=number, per_page=PER_PAGE))
        counts = ops.counts(db, actor=who)
        names = wording.model_names(db, host(), who.environment_id, words.language())
        processes = [(key, names.get(key, key)) for key in ops.process_keys(db, actor=who)]
        texts = wording.instance_texts(db, host(), [t.instance_id for t in found.tasks], words.language())
        saved = saved_filters.list_filters(db, actor=who)
    today = dt.datetime.now(dt.UTC).date()
    rows = [_row(t, acts, today=today, texts=texts.get(t.instance_id, NO_TEXTS))
            for t, acts in zip(found.tasks, found.may_act, strict=True)]
    return render_template("tasks/list.html", paging=Paging(rows, found.total, number, PER_PAGE), filters=filters,
                           counts=counts, processes=processes, groups=sorted(who.groups), saved=saved,
                           current=filters.to_args(), may_save=allowed(who, "filters.own"))


def _list_with(filters: Mapping[str, str]) -> str:
    """The task list with these filters applied."""
    return url_for("task_pages.task_list") + (f"?{urlencode(filters)}" if filters else "")


@bp.post("/filters")
@page("filters.own")
def save_filter() -> ResponseReturnValue:
    """Save the list's current filters (the form's hidden fields) under a name, perhaps shared with a group."""
    fields = {k: v for k, v in request.form.items() if k in queries.FIELDS}
    with host().db.unit_of_work() as db:
        saved = saved_filters.save_filter(db, actor=actor(), name=request.form.get("name"), filters=fields,
                                          group=request.form.get("group") or None, edge=EDGE)
    flash(_("Filter “%(name)s” saved.", name=saved.name), "success")
    return redirect(_list_with(saved.filters))


@bp.post("/filters/<int:filter_id>/rename")
@page("filters.own")
def rename_filter(filter_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        renamed = saved_filters.rename_filter(db, actor=actor(), filter_id=filter_id,
                                              name=request.form.get("name"), edge=EDGE)
    flash(_("Filter renamed to “%(name)s”.", name=renamed.name), "success")
    return redirect(_list_with(renamed.filters))


@bp.post("/filters/<int:filter_id>/delete")
@page("filters.own")
def delete_filter(filter_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        saved_filters.delete_filter(db, actor=actor(), filter_id=filter_id, edge=EDGE)
    flash(_("Filter deleted."), "success")
    return redirect(url_for("task_pages.task_list"))


def _row(task: ops.TaskView, may_act: bool, *, today: dt.date, texts: Texts) -> dict[str, Any]:
    """A row of the list: the invoice (number and supplier) as its label, the amount in the invoice's own
    currency, how late an open task is, and who holds it apart from the groups it is offered to."""
    late = (today - task.due_at.date()).days if task.due_at and task.status in OPEN_STATUSES else 0
    name = texts(task.name)
    return {"id": task.id, "name": name, "process": task.process_key, "status": task.status,
            "label": " · ".join(p for p in (task.invoice_number, task.supplier_name) if p) or name,
            "assignee": task.assignee or task.completed_by, "supplier": task.supplier_name,
            "amount": Decimal(task.amount) if task.amount is not None else None, "currency": task.currency,
            "due_at": task.due_at, "days_late": max(late, 0), "created_at": task.created_at,
            "completed_by": task.completed_by, "groups": list(task.candidate_groups), "may_act": may_act}


@bp.get("/<int:task_id>")
@page("tasks.read")
def task_page(task_id: int) -> ResponseReturnValue:
    return _render(task_id)


def _render(task_id: int, *, posted: Mapping[str, Any] | None = None, choice: str | None = None,
            error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The task page; after a refused submission with what was typed, the chosen decision and the error."""
    who = actor()
    with host().db.unit_of_work() as db:
        found = ops.show(db, host(), actor=who, task_id=task_id)
        task = found.task
        texts = wording.texts_of_instance(db, host(), task.instance_id, words.language())
        fields = forms.fields_of(translate_form(found.schema, texts), found.data)
        review = found.review
        process = wording.model_names(db, host(), who.environment_id, words.language()).get(task.process_key)
        context = {
            "task": task, "review": review, "detail": found, "task_name": texts(task.name), "texts": texts,
            "process_name": process or task.process_key,
            "flags": invoice_view.flags(dict(review.collection)) if review else [],
            "findings": findings.match_reasons_words(review.collection.get("coded_reasons"), review.collection.get("reasons")) if review else [],
            "decisions": model_words.decision_cards(invoice_view.decisions(found.decisions), texts),
            "fields": fields, "values": _values(fields, found.data, posted, texts),
            "choice": choice, "error": error, "outcome": _outcome_words(task),
            "is_open": task.status in OPEN_STATUSES, "may_act": found.may_act, "me": who.name,
            "text_html": forms.text_html,
        }
        return render_template("tasks/task.html", **context), status


def _values(fields: list[forms.Field], data: Mapping[str, Any], posted: Mapping[str, Any] | None,
            texts: Texts) -> dict[str, str]:
    """What the inputs show: the process data, except in fields of a decision not taken yet (the routing
    table's `reason` is not the approver's reason for a disapproval), then whatever was typed. What a
    read-only field shows (a finding of a decision table) is in the reader's language."""
    dependent = {f.key for f in fields if f.show_for is not None}
    readonly = {f.key for f in fields if f.readonly}
    shown = {k: model_words.data_value(v, texts) if k in readonly else v
             for k, v in data.items() if k not in dependent}
    return {k: forms.shown_value(v) for k, v in {**shown, **(posted or {})}.items()}


def _outcome_words(task: ops.TaskView) -> str | None:
    """What a finished task's outcome says, in words: approved / disapproved / completed, by whom and when."""
    if task.status != "completed":
        return None
    when = words.datetime_words(task.completed_at)
    sentences = {"approve": _("Approved by %(who)s on %(when)s"),
                 "disapprove": _("Disapproved by %(who)s on %(when)s")}
    template = sentences.get(task.decision or "", _("Completed by %(who)s on %(when)s"))
    return template % {"who": task.completed_by or "?", "when": when}


@bp.get("/<int:task_id>/attachments/<int:number>")
@page("invoices.read")
def attachment(task_id: int, number: int) -> Response:
    """Embedded attachment `number` (from 1, as in the API): PDFs inline (for the viewer), else a download."""
    who = actor()
    with host().db.unit_of_work() as db:
        task = ops.find(db, actor=who, task_id=task_id)
        invoice = invoice_view.invoice_for_instance(db, who.environment_id, task.instance_id)
        found = invoice_view.attachments(db, invoice) if invoice else []
        if not FIRST_NUMBER <= number < len(found) + FIRST_NUMBER:
            abort(404)
        item = found[number - FIRST_NUMBER]
    return invoice_view.attachment_response(item, number, download=request.args.get("download") == "1")


@bp.post("/<int:task_id>/claim")
@page("tasks.act")
def claim(task_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        ops.claim(db, actor=actor(), task_id=task_id, edge=EDGE)
    flash(_("You claimed the task."), "success")
    return redirect(url_for("task_pages.task_page", task_id=task_id))


@bp.post("/<int:task_id>/unclaim")
@page("tasks.act")
def unclaim(task_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        ops.unclaim(db, actor=actor(), task_id=task_id, edge=EDGE)
    flash(_("The task is back with its group."), "success")
    return redirect(url_for("task_pages.task_page", task_id=task_id))


@bp.post("/<int:task_id>/complete")
@page("tasks.act")
def complete(task_id: int) -> ResponseReturnValue:
    """Approve / disapprove when the form offers that choice, else complete with the data; a refused
    submission shows the page again with what was typed and the error (422)."""
    who = actor()
    with host().db.unit_of_work() as db:
        shown = ops.show(db, host(), actor=who, task_id=task_id, review=False)
        texts = wording.texts_of_instance(db, host(), shown.task.instance_id, words.language())
    fields = forms.fields_of(translate_form(shown.schema, texts))
    data = forms.values_from(fields, request.form, request.form.to_dict(flat=False))
    choice_key = forms.decision_key(fields)
    choice = data.pop(choice_key, None) if choice_key else None
    typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
    missing = forms.missing_required([f for f in fields if f.key != choice_key], data, choice)
    if missing:
        return _render(task_id, posted=typed, choice=choice, status=422,
                       error=_("Please fill in: %(fields)s", fields=", ".join(missing)))
    try:
        with host().db.unit_of_work() as db:
            _decide(db, who, task_id, fields=fields, data=data, choice_key=choice_key, choice=choice)
    except InvalidInput as exc:
        labels = {f.key: f.label for f in fields if f.key}
        return _render(task_id, posted=typed, choice=choice, error=refusals.refusal_text(exc, labels=labels),
                       status=422)
    flash(_("Task completed."), "success")
    return redirect(url_for("task_pages.task_list"))


def _decide(db: Any, who: Any, task_id: int, *, fields: list[forms.Field], data: dict[str, Any],
            choice_key: str | None, choice: str | None) -> None:
    """One verb for the button pressed: the reason field (else the comment) is the disapproval's reason."""
    if choice == "approve":
        ops.approve(db, host(), actor=who, task_id=task_id, comment=data.get("comment"), data=data, edge=EDGE)
    elif choice == "disapprove":
        has_reason = any(f.key == "reason" for f in fields)
        reason = data.pop("reason", None) if has_reason else data.get("comment")
        ops.disapprove(db, host(), actor=who, task_id=task_id, reason=reason, data=data, edge=EDGE)
    else:
        if choice_key and choice is not None:
            data[choice_key] = choice
        ops.complete(db, host(), actor=who, task_id=task_id, data=data, edge=EDGE)


@bp.post("/<int:task_id>/delegate")
@page("tasks.act")
def delegate(task_id: int) -> ResponseReturnValue:
    to_user = request.form.get("to_user", "").strip()
    environment = request.form.get("to_environment", "").strip() or None
    if not to_user:
        raise InvalidInput(_("Name a colleague to delegate to."), code="delegate_to_missing")
    with host().db.unit_of_work() as db:
        ops.delegate(db, actor=actor(), task_id=task_id, to=to_user, environment=environment, edge=EDGE)
    flash(_("Task delegated to %(user)s.", user=to_user), "success")
    return redirect(url_for("task_pages.task_list"))
