"""The purchase scenario for the admin tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.settings import Settings
from tests.support.admin_scenario import Purchase, open_purchase


@pytest.fixture
def purchase(settings: Settings) -> Iterator[Purchase]:
    yield from open_purchase(settings)
