"""A demo site whose API (session + CSRF header), pages and `stroom` command act on one SQLite database."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.cli import build
from tests.e2e.site import Site, build_site, csrf


def sync_validator(content: bytes, mode: str, max_bytes: int) -> Any:
    """The real validation, in-process (the worker pool has its own tests)."""
    from server.invoices.validation import validate

    return validate(content, mode=mode, max_bytes=max_bytes)


@dataclasses.dataclass
class Edges:
    site: Site
    tmp: Path

    def browser(self, login: str) -> tuple[FlaskClient, str]:
        """A logged-in client and the CSRF token its pages carry (the API takes it as X-CSRF-Token)."""
        client = self.site.client(login)
        return client, csrf(client.get("/inbox").text)

    def stroom(self, *args: str, **extra: str) -> tuple[int, list[dict[str, Any]]]:
        """Run `stroom ARGS` against the site's database: exit code and the JSON lines it printed."""
        env = {**extra, "STROOM_DATABASE_URL": self.site.settings.database_url, "STROOM_INSTANCE_DIR": str(self.tmp / "cli"),
               "STROOM_UBL_RULES": self.site.settings.ubl_rules, "STROOM_OUTBOX_DIR": str(self.tmp / "outbox"),
               "STROOM_SECRET_KEY": "cli-tests", "STROOM_LOG_LEVEL": "WARNING"}
        result = CliRunner().invoke(build(), list(args), env=env, catch_exceptions=False)
        return result.exit_code, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    def audit_all(self, action: str, target_id: str | int) -> list[AuditEvent]:
        """The audit entries of an action on a target, oldest first."""
        with self.site.host.db.unit_of_work() as session:
            found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                                  AuditEvent.target_id == str(target_id))
                                         .order_by(AuditEvent.id)))
            session.expunge_all()
            return found

    def audit(self, action: str, target_id: str | int) -> AuditEvent:
        """The one audit entry of an action on a target."""
        found = self.audit_all(action, target_id)
        assert len(found) == 1, [e.action for e in found]
        return found[0]

    def audit_last(self, action: str, target_id: str | int) -> AuditEvent:
        return self.audit_all(action, target_id)[-1]


@pytest.fixture
def edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Edges]:
    monkeypatch.setattr("server.invoices.service.default_validator", sync_validator)
    site = build_site(tmp_path)
    yield Edges(site, tmp_path)
    site.host.db.dispose()
