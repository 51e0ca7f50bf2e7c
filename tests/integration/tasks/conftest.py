from __future__ import annotations

import pytest

from tests.integration.tasks.factories import World, build_world


@pytest.fixture
def world(host) -> World:
    return build_world(host)
