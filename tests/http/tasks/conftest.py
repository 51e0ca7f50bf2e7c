from __future__ import annotations

import pytest

from tests.http.tasks.support import Api, build_api


@pytest.fixture
def api(host) -> Api:
    return build_api(host)
