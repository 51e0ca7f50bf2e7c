"""Migration 0012 adds the python_scripts setting, off for every existing environment, and can be undone."""
from __future__ import annotations


from sqlalchemy import text

from server.auth import service as auth
from server.db import Database
from server.migrate import upgrade
from server.auth import script_policy as policy
from tests.integration.db.test_migration_supplier_search import migrate

BEFORE = "0011_keyed_audit_chain"


def columns(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.execute(text("SELECT * FROM environments")).keys())


def test_existing_environments_start_with_python_scripts_off_and_downgrade_removes_the_column(private_url):
    db = Database(private_url)
    try:
        upgrade(db.engine)
        migrate(db, "downgrade", BEFORE)  # a database of the previous release, with an environment
        assert "python_scripts" not in columns(db)
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO environments (name, display_name, created_at) "
                                    "VALUES ('acme', 'Acme', CURRENT_TIMESTAMP)"))
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.get_environment(session, "acme")
            assert policy.python_scripts_allowed(session, environment_id=env.id) is False
            env.python_scripts = True
        migrate(db, "downgrade", BEFORE)
        assert "python_scripts" not in columns(db)
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.get_environment(session, "acme")
            assert policy.python_scripts_allowed(session, environment_id=env.id) is False
    finally:
        db.dispose()
