"""Shared fixtures: settings, a real database per backend (SQLite and PostgreSQL), the host."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Iterator

import pytest

from server.host import Host, open_host
from server.settings import Settings
from tests.support import databases
from tests.support.paths import CORPUS

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of real files (UBL, BPMN, DMN); the suite needs it."""
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = databases.postgres_available()
    if reason is not None:
        warnings.warn(f"PostgreSQL IS NOT AVAILABLE, its tests are skipped: {reason}")
        pytest.skip(f"PostgreSQL not available: {reason}")
    url = databases.create_postgres_database()
    from server.db import Database
    from server.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    yield url
    databases.drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        return databases.fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    url = request.getfixturevalue("postgres_url")
    databases.truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database (for tests that need only one backend)."""
    return databases.fresh_sqlite(sqlite_template, tmp_path)


def make_settings(tmp_path: Path, database_url: str, **changes: object) -> Settings:
    """Settings for a test: everything under tmp_path."""
    settings = Settings(instance_dir=tmp_path / "instance", database_url=database_url,
                        secret_key="test-secret", testing=True, embedded_worker=False)
    return settings.replace(**changes) if changes else settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def host(settings: Settings) -> Iterator[Host]:
    host = open_host(settings)
    yield host
    host.db.dispose()
