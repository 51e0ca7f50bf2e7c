"""Migration 0009 fills the folded supplier name of tasks that exist already, and can be undone."""
from __future__ import annotations


from alembic import command
from sqlalchemy import select, text

from server.auth import service as auth
from server.auth.actor import Actor
from server.db import Database
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.migrate import alembic_config, upgrade
from server.tasks import listing
from server.tasks.models import HumanTask

BEFORE = "0008_invoice_duplicate_indexes"
NAMES = ("Café de Zwaan B.V.", "O'Brien & Zn", "Ørsted A/S", None)


def migrate(db: Database, direction: str, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_existing_tasks_get_their_folded_supplier_name_and_the_search_finds_them(private_url: str):
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            version = ProcessModelVersion(environment_id=env.id, key="k", version=1, process_id="p", checksum="0")
            session.add(version)
            session.flush()
            instance = ProcessInstance(environment_id=env.id, model_version_id=version.id, model_key="k",
                                       status="running", state="{}", started_by="test")
            session.add(instance)
            session.flush()
            for n, name in enumerate(NAMES):
                session.add(HumanTask(environment_id=env.id, instance_id=instance.id, engine_task_id=f"t{n}",
                                      element_id="approve", name="Approve", process_key="k", supplier_name=name))
        migrate(db, "downgrade", BEFORE)  # as a database of the previous release, with its tasks
        with db.engine.connect() as connection:
            assert "supplier_search" not in connection.execute(text("SELECT * FROM human_tasks")).keys()
        upgrade(db.engine)
        with db.unit_of_work() as session:
            folded = dict(session.execute(select(HumanTask.supplier_name, HumanTask.supplier_search)).all())
            assert folded == {"Café de Zwaan B.V.": "cafe de zwaan bv", "O'Brien & Zn": "obrien zn",
                              "Ørsted A/S": "ørsted a s", None: None}
            admin = Actor.system(env.id, "test")
            found = listing.list_tasks(session, admin, listing.TaskQuery(supplier="CAFE de"))
            assert [t.supplier_name for t in found.tasks] == ["Café de Zwaan B.V."]
    finally:
        db.dispose()
