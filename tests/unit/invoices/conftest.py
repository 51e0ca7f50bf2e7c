"""Invoice test helpers: the shared UBL corpus, EXPECTED.csv rows, rulesets compiled once per session."""
from __future__ import annotations

import csv

import pytest

from tests.support.paths import CORPUS, REPO

UBL_CORPUS = CORPUS / "ubl"
DATA = REPO / "tests" / "data" / "ubl"
if not (UBL_CORPUS / "EXPECTED.csv").is_file():
    raise RuntimeError(f"the shared UBL corpus is missing at {UBL_CORPUS}; the invoice tests need it")


def expected_rows() -> list[dict[str, str]]:
    """EXPECTED.csv: the official validators' verdict for every corpus file."""
    with open(UBL_CORPUS / "EXPECTED.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def corpus_bytes(relative: str) -> bytes:
    return (UBL_CORPUS / relative).read_bytes()


@pytest.fixture(scope="session")
def rules_compiled() -> None:
    """Compile the three official rulesets and load the schemas once for the whole session."""
    from server.invoices.rulesets import compile_rulesets
    from server.invoices.validation import load_schemas

    compile_rulesets()
    load_schemas()
