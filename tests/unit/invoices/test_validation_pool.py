"""Validation in worker processes gives the same verdicts as in-process validation."""
from __future__ import annotations

import os

import pytest

from server.invoices.validation import validate
from server.invoices.validation_pool import ValidatorPool
from tests.unit.invoices.conftest import DATA, corpus_bytes


@pytest.fixture(scope="module")
def pool():
    pool = ValidatorPool(workers=1)
    yield pool
    pool.shutdown()


def test_worker_reports_equal_in_process_reports(pool, rules_compiled):
    (pid,) = pool.start()
    assert pid != os.getpid()
    for name in ("valid/base-example.xml", "invalid/SI-UBL-2.0_BR-NL-3_error_no_city.xml"):
        data = corpus_bytes(name)
        assert pool.validate(data, timeout=60) == validate(data)


def test_worker_refuses_hostile_input_too(pool):
    report = pool.validate((DATA / "xxe.xml").read_bytes(), timeout=60)
    assert [f.rule for f in report.errors] == ["doctype_forbidden"]


def test_off_mode_needs_no_worker():
    idle = ValidatorPool(workers=1)
    report = idle.validate(corpus_bytes("valid/base-example.xml"), mode="off")
    assert report.accepted and idle._executor is None
