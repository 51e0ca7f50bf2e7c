"""The connection pool per process is sized by STROOM_DB_POOL_SIZE (what the scale-out README relies on)."""
from __future__ import annotations

import pytest

from server.host import open_host
from server.settings import SettingsError, load_settings


def test_the_pool_size_comes_from_the_environment_and_defaults_to_five(tmp_path):
    base = {"STROOM_INSTANCE_DIR": str(tmp_path), "STROOM_SECRET_KEY": "k"}
    assert load_settings(base).db_pool_size == 5
    assert load_settings({**base, "STROOM_DB_POOL_SIZE": "12"}).db_pool_size == 12
    for bad in ("many", "0", "101"):
        with pytest.raises(SettingsError, match="STROOM_DB_POOL_SIZE"):
            load_settings({**base, "STROOM_DB_POOL_SIZE": bad})


def test_a_postgresql_host_keeps_that_many_connections_plus_as_many_for_bursts(settings):
    host = open_host(settings.replace(db_pool_size=3))
    try:
        if not host.db.is_postgres:
            pytest.skip("SQLite has no server connections to size")
        pool = host.db.engine.pool
        assert (pool.size(), pool._max_overflow) == (3, 3)
    finally:
        host.db.dispose()
