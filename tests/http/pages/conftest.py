from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.site import Site, build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site per test module (pages only read, or write what the module's own tests check)."""
    built = build_site(Path(tmp_path_factory.mktemp("site")))
    yield built
    built.host.db.dispose()
