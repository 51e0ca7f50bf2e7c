"""When a document left `received` is tried again: after STROOM_RECOVER_AFTER_SECONDS, then backing off."""
from __future__ import annotations

import datetime as dt

import pytest

from server.invoices import unprocessed
from server.settings import SettingsError, load_settings

BASE = {"STROOM_SECRET_KEY": "test-secret", "STROOM_INSTANCE_DIR": "/nonexistent"}


def test_the_grace_period_is_five_minutes_unless_set():
    assert unprocessed.grace(load_settings(BASE)) == dt.timedelta(minutes=5)
    assert unprocessed.grace(load_settings({**BASE, "STROOM_RECOVER_AFTER_SECONDS": "90"})) == dt.timedelta(
        seconds=90)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_an_unusable_grace_period_stops_the_start(value):
    with pytest.raises(SettingsError, match="STROOM_RECOVER_AFTER_SECONDS"):
        load_settings({**BASE, "STROOM_RECOVER_AFTER_SECONDS": value})


def test_each_failed_try_doubles_the_wait_up_to_a_cap():
    grace = dt.timedelta(minutes=5)
    waits = [unprocessed.retry_delay(attempt, grace=grace) for attempt in range(1, 6)]
    assert waits == [dt.timedelta(minutes=m) for m in (5, 10, 20, 40, 80)]
    assert unprocessed.retry_delay(100, grace=grace) == unprocessed.BACKOFF_CAP
