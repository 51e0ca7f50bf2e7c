"""Fixtures for the template flows: one demo site per test on a fresh SQLite database."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from server.host import open_host
from tests.conftest import make_settings
from tests.e2e_flows.site import Site, open_site


def sync_validator(content, mode, max_bytes):
    """The real validation, in-process (the worker pool is exercised by the ingestion tests and the bench)."""
    from server.invoices.validation import validate

    return validate(content, mode=mode, max_bytes=max_bytes)


@pytest.fixture
def site(sqlite_url, tmp_path, monkeypatch) -> Iterator[Site]:
    monkeypatch.setattr("server.invoices.service.default_validator", sync_validator)
    # The flows log in with tokens, never passwords: Argon2id with test-sized costs keeps set-up fast.
    monkeypatch.setattr("server.auth.service.hash_password",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash)
    host = open_host(make_settings(tmp_path, sqlite_url))
    yield open_site(host)
    host.db.dispose()
