"""Real databases for tests: a migrated SQLite template per session, a private PostgreSQL database."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from server.db import Database
from server.migrate import upgrade

PG_ADMIN_URL = os.environ.get("STROOM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> str | None:
    """None when PostgreSQL answers (starting the local cluster if needed), else why not."""
    def ping() -> Exception | None:
        try:
            engine = create_engine(PG_ADMIN_URL)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            return exc

    if ping() is None:
        return None
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                       capture_output=True, timeout=60)
    error = ping()
    return None if error is None else f"{type(error).__name__}: {error}"


def create_postgres_database() -> str:
    """A new empty database on the local server; returns its URL."""
    name = f"stroom_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    path = folder / "stroom.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """One small engine per test database, kept for the session (a connection per reset costs more than it)."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    return engine


def truncate_all(url: str) -> None:
    """Empty every Stroom table of a PostgreSQL database and restart its ids (fast reset between tests).

    Only what a test touched is reset: the tables that hold rows are emptied by DELETE and the sequences
    that handed out an id are set back to 1. TRUNCATE of every table gives each a new file and costs
    about a second per test; this costs a few milliseconds and leaves the same state (empty tables, ids
    from 1)."""
    with _engine(url).begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        filled = conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables))).scalars().all() if tables else []
        used = conn.execute(text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname='public' AND last_value IS NOT NULL"
        )).scalars().all()
        # Replica mode skips ordinary triggers, among them the audit log's append-only guard, and the foreign
        # key checks, so the tables empty in any order.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in filled:
            conn.execute(text(f'DELETE FROM "{table}"'))
        if used:
            conn.execute(text("SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in used)))
