"""Fixtures shared by the integration tests."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases


@pytest.fixture(params=["sqlite", "postgresql"])
def private_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own on each backend, for tests that move the schema down and up again."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'private.db'}"
        return
    reason = databases.postgres_available()
    if reason is not None:
        pytest.skip(f"PostgreSQL not available: {reason}")
    url = databases.create_postgres_database()
    yield url
    databases.drop_postgres_database(url)
