"""HTTP tests: the purchase scenario behind a test client, with tokens for ada (admin), carl (clerk), audrey
(auditor), for the audit and instance APIs."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.app import create_app
from server.settings import Settings
from tests.support.admin_scenario import Purchase, open_purchase


@pytest.fixture
def purchase(settings: Settings) -> Iterator[Purchase]:
    yield from open_purchase(settings)


@pytest.fixture
def client(purchase: Purchase):
    return create_app(host=purchase.host).test_client()
