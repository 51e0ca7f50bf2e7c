"""incidents: a plain cause (a stable code and the detail its sentence names) beside the technical message

Incidents showed Python messages. New ones get their cause where the step fails (server.causes); the
ones already stored are classified from their message, as well as a message allows.

Revision ID: 0023_incident_causes
Revises: 0022_batches
"""
import re

import sqlalchemy as sa
from alembic import op

from server.causes import classify

revision = "0023_incident_causes"
down_revision = "0022_batches"
branch_labels = None
depends_on = None
JOB = re.compile(r"job (\d+) \(")  # as server.jobs.claims words a given-up job's incident


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
        cause = classify(error or "")
        job = JOB.match(error or "")
        connection.execute(incidents.update().where(incidents.c.id == incident_id)
                           .values(cause=cause.code, cause_detail=cause.detail,
                                   job_id=int(job.group(1)) if job else None))


def downgrade() -> None:
    op.drop_index("ix_incidents_environment_cause", table_name="incidents")
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0009).
    op.execute("ALTER TABLE incidents DROP COLUMN job_id")
    op.execute("ALTER TABLE incidents DROP COLUMN cause_detail")
    op.execute("ALTER TABLE incidents DROP COLUMN cause")
