"""invoices: the matching reasons of stored invoices as codes with values (`collection.coded_reasons`)

The matcher now writes each reason as a code, its values and the English sentence (server.masterdata.reasons);
the pages translate the code. Invoices matched before keep their English `reasons` and get `coded_reasons`
read from those sentences here, once. A sentence none of the patterns reads is kept with no code and shows
as it was written. The patterns are frozen below (a migration never imports the live application code).
The process data of running instances (`match_reasons` in their saved state) is left as it is.

Revision ID: 0026_match_reason_codes
Revises: 0025_masterdata_speed
"""
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0026_match_reason_codes"
down_revision = "0025_masterdata_speed"
branch_labels = None
depends_on = None
BATCH = 1000
# The sentences the matcher and the master-data lookup wrote before 0026, and the code each became.
SENTENCES = tuple((code, re.compile(pattern)) for code, pattern in (
    ("supplier_not_found", r"^no supplier found$"),
    ("administration_not_found", r"^no administration found$"),
    ("supplier_ambiguous", r"^supplier is ambiguous: (?P<a>.+) and (?P<b>.+) match equally$"),
    ("administration_ambiguous", r"^administration is ambiguous: (?P<a>.+) and (?P<b>.+) match equally$"),
    ("supplier_found", r"^supplier (?P<code>.+) found by (?P<how>[a-z_, ]+)$"),
    ("administration_found", r"^administration (?P<code>.+) found by (?P<how>[a-z_, ]+)$"),
    ("order_not_on_file", r"^order (?P<order>.+) is not on file$"),
    ("order_of_another_supplier", r"^order (?P<order>.+) belongs to another supplier$"),
    ("order_line_not_on_order", r"^line (?P<line>.+) refers to order line (?P<wanted>.+), not on order (?P<order>.+)$"),
    ("quantity_exceeds_order",
     r"^order line (?P<line>.+): invoiced quantity (?P<quantity>\S+) exceeds ordered (?P<ordered>\S+)$"),
    ("amount_differs_from_order",
     r"^order line (?P<line>.+): invoiced (?P<amount>\S+) differs from (?P<expected>\S+) at the order price$"),
    ("receipts_differ", r"^goods receipts differ from the invoiced quantities or prices$"),
    ("rule_pattern_unusable", r"^matching rule (?P<rule>.+) has an unusable pattern$"),
    ("line_unmatched", r"^line (?P<line>\S+) \((?P<item>.*)\) matches no order line and no rule$"),
    ("line_rule_to_review", r"^line (?P<line>.+) matched rule (?P<rule>.+), to be reviewed via the workflow$"),
    ("possible_duplicate", r"^an earlier invoice of this supplier has the same number, or the same amount and date$"),
    ("iban_not_on_file", r"^no IBAN of the invoice is on file for supplier (?P<code>.+)$"),
    ("iban_not_preferred", r"^the invoice's IBAN is not the preferred account of supplier (?P<code>.+)$"),
))
invoices = sa.table("invoices", sa.column("id", sa.Integer), sa.column("collection", sa.JSON))


def coded(sentence: str) -> dict[str, Any]:
    """One stored sentence as {"code", "values", "text"}; code None when no pattern reads it."""
    for code, pattern in SENTENCES:
        found = pattern.match(sentence)
        if found:
            values: dict[str, Any] = dict(found.groupdict())
            if "how" in values:
                values["how"] = [part.strip() for part in values["how"].split(",")]
            return {"code": code, "values": values, "text": sentence}
    return {"code": None, "values": {}, "text": sentence}


def _rewrite(change: Any) -> None:
    """Apply `change(collection) -> new collection or None (unchanged)` to every invoice, a batch at a time."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(invoices.c.id, invoices.c.collection).where(invoices.c.id > last)
                                  .order_by(invoices.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        updates = [{"row_id": row_id, "new": new} for row_id, collection in rows
                   if isinstance(collection, dict) and (new := change(collection)) is not None]
        if updates:
            connection.execute(invoices.update().where(invoices.c.id == sa.bindparam("row_id"))
                               .values(collection=sa.bindparam("new")), updates)


def _with_codes(collection: dict[str, Any]) -> dict[str, Any] | None:
    reasons = collection.get("reasons")
    if not isinstance(reasons, list) or "coded_reasons" in collection:
        return None
    return {**collection, "coded_reasons": [coded(str(r)) for r in reasons if r]}


def _without_codes(collection: dict[str, Any]) -> dict[str, Any] | None:
    if "coded_reasons" not in collection:
        return None
    return {k: v for k, v in collection.items() if k != "coded_reasons"}


def upgrade() -> None:
    _rewrite(_with_codes)


def downgrade() -> None:
    # The English `reasons` were never touched, so the previous release reads them as before.
    _rewrite(_without_codes)
