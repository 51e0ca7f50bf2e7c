"""The invoice page: the same review an approver sees beside a task (the possible duplicate's link leads here)."""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from server.instances import wording
from server.operations import invoice_review
from server.pages import findings, invoice_view, words
from server.pages.common import actor, blueprint, host, page

bp = blueprint("invoice_pages", __name__, url_prefix="/invoices")


@bp.get("/<int:invoice_id>")
@page("invoices.read")
def invoice_page(invoice_id: int) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        review = invoice_review.for_invoice(db, actor=actor(), invoice_id=invoice_id)
        texts = wording.texts_of_instance(db, host(), review.instance_id, words.language())
    reasons = findings.match_reasons_words(review.collection.get("coded_reasons"), review.collection.get("reasons"))
    return render_template("invoices/invoice.html", review=review, texts=texts, findings=reasons)


@bp.get("/<int:invoice_id>/attachments/<int:number>")
@page("invoices.read")
def attachment(invoice_id: int, number: int) -> Response:
    """Embedded attachment `number` (from 1): PDFs inline for the viewer, anything else as a download."""
    with host().db.unit_of_work() as db:
        item = invoice_review.attachment(db, actor=actor(), invoice_id=invoice_id, number=number)
    if item is None or item.content is None:
        abort(404)
    return invoice_view.attachment_response(item, number, download=request.args.get("download") == "1")
