"""Fixtures for the template flows: one demo site per test, each on its own copy of a demo database."""
from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.audit.keys import KEY_FILE
from server.host import Host, open_host
from tests.conftest import make_settings
from tests.e2e_flows.site import Site, load_demo, site_on
from tests.support import databases
from tests.support.passwords import QUICK_HASH


def sync_validator(content, mode, max_bytes):
    """The real validation, in-process (the worker pool is exercised by the ingestion tests and the bench)."""
    from server.invoices.validation import validate

    return validate(content, mode=mode, max_bytes=max_bytes)


def quick_set_up(patch: pytest.MonkeyPatch) -> None:
    """In-process validation, and Argon2id with test-sized costs (the flows log in with tokens, never
    passwords), so set-up stays fast."""
    patch.setattr("server.invoices.service.default_validator", sync_validator)
    patch.setattr("server.auth.service.hash_password", QUICK_HASH)


@dataclasses.dataclass(frozen=True)
class DemoTemplate:
    """A database file holding the demo, the audit key its chain was written with, the tokens it issued."""
    folder: Path
    tokens: dict[str, str]


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The demo loaded once per test process; each test gets a copy of the file (loading the demo costs about
    a third of a CPU second, copying the file a millisecond), so every test still starts from the same
    state."""
    folder = tmp_path_factory.mktemp("demo-template")
    with pytest.MonkeyPatch.context() as patch:
        quick_set_up(patch)
        host = open_host(make_settings(folder, databases.fresh_sqlite(sqlite_template, folder)))
        issued = load_demo(host)
        host.db.dispose()
    assert not (folder / "stroom.db-wal").exists(), "the demo database was not checkpointed before the copies"
    return DemoTemplate(folder, issued)


def open_demo_copy(template: DemoTemplate, tmp_path: Path, **changes: object) -> Host:
    """A host on a private copy of the demo database, with the audit key its chain was written with."""
    url = databases.fresh_sqlite(template.folder / "stroom.db", tmp_path)
    settings = make_settings(tmp_path, url, **changes)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template.folder / "instance" / KEY_FILE, settings.instance_dir / KEY_FILE)
    return open_host(settings)


@pytest.fixture
def site(demo_template: DemoTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    quick_set_up(monkeypatch)
    host = open_demo_copy(demo_template, tmp_path)
    yield site_on(host, demo_template.tokens)
    host.db.dispose()
