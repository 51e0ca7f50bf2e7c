"""Migration 0018 recomputes the model checksums over the canonical sources: after it, deploying a
re-saved but unchanged model creates no version, on both backends; downgrading restores the old sums."""
from __future__ import annotations

from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.db import Database
from server.host import open_host
from server.instances import service as instances
from server.instances.models import ProcessModelVersion
from server.instances.shipped import shipped_models
from server.migrate import upgrade
from tests.conftest import make_settings
from tests.integration.db.test_migration_supplier_search import migrate
from tests.unit.engine.test_canonical_source import resaved

BEFORE = "0012_python_scripts_setting"
PURCHASE = next(m for m in shipped_models() if m.key == "purchase_invoice")


def _checksums(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(ProcessModelVersion.checksum).order_by(ProcessModelVersion.id)))


def test_a_resaved_shipped_model_deploys_as_the_same_version_after_the_migration(private_url, tmp_path):
    host = open_host(make_settings(tmp_path, private_url))
    db = host.db
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session)
            actor = Actor.system(env.id, "tests")
            first = instances.deploy(session, host, actor=actor, key="purchase_invoice", bpmn=PURCHASE.bpmn,
                                     dmn=PURCHASE.dmn, forms=PURCHASE.forms).version
        canonical = _checksums(db)
        migrate(db, "downgrade", BEFORE)  # a database of the previous release: byte checksums
        assert _checksums(db) != canonical
        upgrade(db.engine)
        assert _checksums(db) == canonical
        again = {name: resaved(source) for name, source in PURCHASE.bpmn.items()}
        with db.unit_of_work() as session:
            version = instances.deploy(session, host, actor=actor, key="purchase_invoice", bpmn=again,
                                       dmn=PURCHASE.dmn, forms=PURCHASE.forms)
            assert version.version == first == 1
    finally:
        db.dispose()
