"""Schema upgrades through Alembic; the app never calls create_all."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at Stroom's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, *, audit_key: bytes | None = None) -> None:
    """Bring the database to the newest schema (every branch head); `audit_key` seals the old audit
    rows in migration 0011 (without it that migration loads the key from the STROOM_* settings)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    if audit_key:
        config.attributes["audit_key"] = audit_key
    with _migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (for tests of a migration), as `upgrade` runs them."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for the migrations. On SQLite without enforcing foreign keys while they run: Alembic
    rebuilds a table by dropping it, and a drop with enforcement on deletes the rows that refer to it
    (ON DELETE CASCADE). The switch is a no-op inside a transaction, so it is flipped before BEGIN, and
    every key is checked before the commit instead."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migrated rows refer to missing parents: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def is_new(engine: Engine) -> bool:
    """Whether the database has no Stroom tables yet."""
    return not inspect(engine).has_table("environments")
