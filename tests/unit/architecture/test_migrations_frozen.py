"""A migration carries the code it runs: importing live application code would let a later change to that
code silently change what an old migration does to a database upgraded through it."""
from __future__ import annotations

import ast
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[3] / "server" / "migrations" / "versions"
# Column types and the UTC clock: the schema's vocabulary, not behaviour a migration must pin.
ALLOWED = {"server.db"}
# Written before this rule and not to be edited any more (a new migration may not change them either).
GRANDFATHERED = {
    "0009_task_supplier_search.py": {"server.masterdata.normalise"},
    "0011_keyed_audit_chain.py": {"server.audit.keys", "server.audit.verify", "server.settings"},
}


def server_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "server" or name.startswith("server.")}


def test_migrations_import_no_application_code_beyond_the_schema_types() -> None:
    imported = {path.name: server_imports(path) - ALLOWED for path in sorted(VERSIONS.glob("*.py"))}
    assert imported["0017_masterdata_bulk.py"] == set() and imported["0023_incident_causes.py"] == set()
    assert {name: found for name, found in imported.items() if found} == GRANDFATHERED
