"""incidents: a plain cause (a stable code and the detail its sentence names) beside the technical message

Incidents showed Python messages. New ones get their cause where the step fails (server.causes); the
ones already stored are classified from their message, as well as a message allows.

Revision ID: 0023_incident_causes
Revises: 0022_batches
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0023_incident_causes"
down_revision = "0022_batches"
branch_labels = None
depends_on = None
JOB = re.compile(r"job (\d+) \(")  # as server.jobs.claims words a given-up job's incident

# A frozen copy of server.causes.classify (with its patterns), taken on 2026-12-03 (commit 13f49b1) instead
# of importing it: a later change to the live classifier must not silently change which cause upgrading
# an old database through 0023 gives its incidents. It answers (code, detail) instead of a Cause.
_UNREACHABLE = re.compile(r"Connection|timed out|could not be reached|Errno|getaddrinfo|Disconnected")
_PATTERNS = (
    (re.compile(r"invoice (?:None|\S+) not found"), "no_invoice"),
    (re.compile(r"no mail recipient '([^']*)'"), "unknown_recipient"),
    (re.compile(r"No conditions? satisfied|no outgoing (?:flow|path)", re.IGNORECASE), "no_path"),
    (re.compile(r"decision '([^']*)'.*?(?:hit policy|allowed values)"), "decision_failed"),
    (re.compile(r"error evaluating '([^']*)'"), "expression_failed"),
    (re.compile(r"service '([^']*)' failed"), "service_failed"),
)


def classify(message: str) -> tuple[str, str]:
    """The cause code and detail a stored incident message names; `unexpected` when it names none."""
    text = message or ""
    if "every recipient was refused" in text or "refused the message" in text:
        return "mail_refused", ""
    if "(mail)" in text and _UNREACHABLE.search(text):
        return "mail_unreachable", ""
    for pattern, code in _PATTERNS:
        found = pattern.search(text)
        if found:
            detail = found.group(1) if found.groups() else ""
            if code == "expression_failed":
                detail = text.split(": ", 2)[-1] if text.count(": ") >= 2 else detail
            return code, detail[:500]
    return "unexpected", ""


def upgrade() -> None:
    op.add_column("incidents", sa.Column("cause", sa.String(40), nullable=False, server_default="unexpected"))
    op.add_column("incidents", sa.Column("cause_detail", sa.String(500), nullable=False, server_default=""))
    # The background job an incident reports (a mail that could not be delivered), so retrying it requeues it.
    op.add_column("incidents", sa.Column("job_id", sa.Integer, nullable=True))
    op.create_index("ix_incidents_environment_cause", "incidents", ["environment_id", "status", "cause"])
    connection = op.get_bind()
    incidents = sa.table("incidents", sa.column("id", sa.Integer), sa.column("error", sa.Text),
                         sa.column("cause", sa.String), sa.column("cause_detail", sa.String),
                         sa.column("job_id", sa.Integer))
    rows = connection.execute(sa.select(incidents.c.id, incidents.c.error)).all()
    for incident_id, error in rows:
        code, detail = classify(error or "")
        job = JOB.match(error or "")
        connection.execute(incidents.update().where(incidents.c.id == incident_id)
                           .values(cause=code, cause_detail=detail,
                                   job_id=int(job.group(1)) if job else None))


def downgrade() -> None:
    op.drop_index("ix_incidents_environment_cause", table_name="incidents")
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0009).
    op.execute("ALTER TABLE incidents DROP COLUMN job_id")
    op.execute("ALTER TABLE incidents DROP COLUMN cause_detail")
    op.execute("ALTER TABLE incidents DROP COLUMN cause")
