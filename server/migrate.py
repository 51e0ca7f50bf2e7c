"""Schema upgrades through Alembic; the app never calls create_all."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

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
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")


def is_new(engine: Engine) -> bool:
    """Whether the database has no Stroom tables yet."""
    return not inspect(engine).has_table("environments")
