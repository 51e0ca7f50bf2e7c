"""The server runs the pinned official artefacts, byte for byte, from inside the package."""
from __future__ import annotations

import hashlib
import re

from server.invoices.rulesets import RULES_DIR, RULESETS
from tests.unit.invoices.conftest import REPO


def pinned() -> list[tuple[str, str]]:
    text = (RULES_DIR / "VERSIONS.md").read_text(encoding="utf-8")
    return re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE)


def test_every_copied_artefact_matches_the_hash_pinned_in_versions_md():
    hashes = pinned()
    assert len(hashes) == 3 + 15
    for digest, path in hashes:
        assert hashlib.sha256((RULES_DIR / path).read_bytes()).hexdigest() == digest, path


def test_every_ruleset_and_both_schemas_are_pinned_and_licences_kept():
    paths = {path for _, path in pinned()}
    assert {f"xslt/{name}" for name in RULESETS.values()} <= paths
    assert {"xsd/maindoc/UBL-Invoice-2.1.xsd", "xsd/maindoc/UBL-CreditNote-2.1.xsd"} <= paths
    assert len(list((RULES_DIR / "LICENSES").glob("*.txt"))) == 6


def test_rules_live_inside_the_package_not_in_shared():
    assert RULES_DIR.is_relative_to(REPO / "server")
