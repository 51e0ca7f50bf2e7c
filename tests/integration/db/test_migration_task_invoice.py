"""Migration 0020 gives tasks that exist already their invoice's number and currency, and can be undone."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from server.auth import service as auth
from server.db import Database
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.invoices.models import Invoice, ReceivedDocument
from server.migrate import alembic_config, upgrade
from server.tasks.models import HumanTask

BEFORE = "0017_masterdata_bulk"


def migrate(db: Database, direction: str, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_existing_tasks_get_the_number_and_currency_of_their_instances_invoice(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            version = ProcessModelVersion(environment_id=env.id, key="k", version=1, process_id="p", checksum="0")
            session.add(version)
            session.flush()
            instances = [ProcessInstance(environment_id=env.id, model_version_id=version.id, model_key="k",
                                         status="running", state="{}", started_by="test") for _ in range(2)]
            session.add_all(instances)
            document = ReceivedDocument(environment_id=env.id, sha256="0" * 64, size=1, content=b"x")
            session.add(document)
            session.flush()
            session.add(Invoice(environment_id=env.id, document_id=document.id, instance_id=instances[0].id,
                                number="NO-77", currency="NOK"))
            for n, instance in enumerate(instances):
                session.add(HumanTask(environment_id=env.id, instance_id=instance.id, engine_task_id=f"t{n}",
                                      element_id="approve", name="Approve", process_key="k"))
        migrate(db, "downgrade", BEFORE)  # as a database of the previous release, with its tasks
        with db.engine.connect() as connection:
            assert "invoice_number" not in connection.execute(text("SELECT * FROM human_tasks")).keys()
        upgrade(db.engine)
        with db.unit_of_work() as session:
            rows = session.execute(select(HumanTask.invoice_number, HumanTask.currency)
                                   .order_by(HumanTask.id)).all()
            assert [tuple(r) for r in rows] == [("NO-77", "NOK"), (None, None)]
    finally:
        db.dispose()
