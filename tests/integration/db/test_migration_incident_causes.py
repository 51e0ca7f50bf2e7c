"""Migration 0023 gives incidents stored before it a cause read from their message (and the job a given-up
mail's incident reports), and can be undone."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from server.auth import service as auth
from server.db import Database
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.migrate import alembic_config, upgrade

BEFORE = "0022_batches"
OLD_MESSAGES = [
    ("match_invoice", "service 'match_invoice' failed: LookupError: invoice None not found"),
    ("book", "service 'book' failed: ConnectionError: ledger unreachable"),
    ("which_route", "error evaluating 'amount > limit': FeelEvaluationError: no such function"),
    ("job:mail", ("job 7 (mail) failed after 1 attempts: PermanentJobError: every recipient was refused: "
                  "{'nobody@example.com': (550, b'mailbox unavailable')}")),
    ("job:mail", ("job 8 (mail) failed after 10 attempts: Traceback ...\nConnectionRefusedError: [Errno 111] "
                  "Connection refused")),
    ("gateway", "'NoneType' object has no attribute 'data'"),
]


def migrate(db: Database, direction: str, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_stored_incidents_get_the_cause_their_message_names(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            version = ProcessModelVersion(environment_id=env.id, key="k", version=1, process_id="p", checksum="0")
            session.add(version)
            session.flush()
            instance = ProcessInstance(environment_id=env.id, model_version_id=version.id, model_key="k",
                                       status="failed", state="{}", started_by="test")
            session.add(instance)
            session.flush()
            env_id, instance_id = env.id, instance.id
        migrate(db, "downgrade", BEFORE)  # a database of the previous release, with its incidents
        with db.engine.begin() as connection:
            assert "cause" not in connection.execute(text("SELECT * FROM incidents")).keys()
            for element, message in OLD_MESSAGES:
                connection.execute(text("INSERT INTO incidents (environment_id, instance_id, element_id, task_id, "
                                        "error, stack, retries_left, status, created_at) VALUES (:e, :i, :el, '', "
                                        ":m, '', 0, 'open', CURRENT_TIMESTAMP)"),
                                   {"e": env_id, "i": instance_id, "el": element, "m": message})
        upgrade(db.engine)
        with db.unit_of_work() as session:
            rows = session.execute(select(Incident.cause, Incident.cause_detail, Incident.job_id)
                                   .order_by(Incident.id)).all()
        assert [tuple(r) for r in rows] == [
            ("no_invoice", "", None), ("service_failed", "book", None),
            ("expression_failed", "no such function", None),
            ("mail_refused", "", 7), ("mail_unreachable", "", 8), ("unexpected", "", None)]
        migrate(db, "downgrade", BEFORE)
        with db.engine.connect() as connection:
            assert "cause" not in connection.execute(text("SELECT * FROM incidents")).keys()
    finally:
        db.dispose()
