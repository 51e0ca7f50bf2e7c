"""Batches in the browser: review the count of a filtered instance list and an action, start it, follow
its progress bar and per-instance results, cancel it (administrators only)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.batches.models import ENDED, LIVE
from server.batches.selection import FIELDS
from server.operations import batches as operations
from server.operations.batch_kinds import batch_kinds
from server.pages.common import actor, blueprint, host, page

bp = blueprint("batch_pages", __name__, url_prefix="/batches")
ADMIN = "instances.admin"
PER_PAGE = 50


def filter_of(values: dict[str, str]) -> dict[str, str]:
    """The filter fields of a query string or form that are filled in."""
    return {name: values[name].strip() for name in FIELDS if values.get(name, "").strip()}


@bp.get("")
@page(ADMIN)
def batch_list() -> ResponseReturnValue:
    before = request.args.get("before", "")
    with host().db.reading() as db:
        views, older = operations.list_batches(db, actor=actor(), limit=PER_PAGE,
                                               before_id=int(before) if before.isdigit() else None)
    return render_template("batches/list.html", batches=views, older=older)


@bp.get("/new")
@page(ADMIN)
def review() -> ResponseReturnValue:
    """The count of instances the chosen action would change, the filter, and the reason to give."""
    kind, chosen = request.args.get("kind", ""), filter_of(request.args.to_dict())
    with host().db.reading() as db:
        counted = operations.count_batch(db, actor=actor(), kind=kind, filter=chosen)
    back: dict[str, Any] = dict(chosen)
    return render_template("batches/new.html", counted=counted, chosen=chosen,
                           back=url_for("instance_pages.instance_list", **back))


@bp.post("")
@page(ADMIN)
def start() -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        view = operations.start_batch(db, actor=actor(), edge="page", kind=request.form.get("kind", ""),
                                      filter=filter_of(request.form.to_dict()), reason=request.form.get("reason"),
                                      options=_options(request.form.get("to_version", "")))
    return redirect(url_for("batch_pages.batch_page", batch_id=view.id))


@bp.get("/<int:batch_id>")
@page(ADMIN)
def batch_page(batch_id: int) -> ResponseReturnValue:
    """Progress (the page polls the JSON batch endpoint while it runs), then the per-instance results."""
    after, result = request.args.get("after", ""), request.args.get("result") or None
    with host().db.reading() as db:
        detail = operations.show_batch(db, actor=actor(), batch_id=batch_id, limit=PER_PAGE, result=result,
                                       after=int(after) if after.isdigit() else None)
    return render_template("batches/batch.html", detail=detail, view=detail.batch, result=result,
                           results=operations.RESULTS, statuses={s: _(s) for s in (*LIVE, *ENDED)},
                           status_url=url_for("api_batches.show", batch_id=batch_id, limit=1))


@bp.post("/<int:batch_id>/cancel")
@page(ADMIN)
def cancel(batch_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        view = operations.cancel_batch(db, actor=actor(), batch_id=batch_id, edge="page")
    flash(_("Batch %(id)s is cancelled.", id=view.id) if view.ended else
          _("Batch %(id)s stops after the instance in progress.", id=view.id), "success")
    return redirect(url_for("batch_pages.batch_page", batch_id=batch_id))


def _options(to_version: str) -> dict[str, Any]:
    """The migrate batch's target version as the form posts it (the operation checks it)."""
    text = to_version.strip()
    if not text:
        return {}
    return {"to_version": int(text) if text.isdigit() else text}


def kind_choices() -> list[str]:
    """The actions a batch offers, in order (for the instance list's form)."""
    return list(batch_kinds())
