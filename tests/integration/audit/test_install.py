"""Every host writes its audit trail, however many hosts a process opens and drops."""
from __future__ import annotations

from sqlalchemy import func, select

from server.audit import service as audit
from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import open_host
from tests.conftest import make_settings
from tests.support import databases


def test_hosts_opened_one_after_another_each_write_their_audit_entries(sqlite_template, tmp_path):
    # A dropped session factory's address is soon reused; the hook must still be installed on the new one.
    without_hook = []
    for n in range(200):
        folder = tmp_path / f"host{n}"
        folder.mkdir()
        host = open_host(make_settings(folder, databases.fresh_sqlite(sqlite_template, folder)))
        with host.db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            audit.record(session, actor=Actor.system(env.id), action="test.noted", target_type="test", target_id=n)
        with host.db.reading() as session:
            noted = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.noted")
            if not session.scalar(noted):
                without_hook.append(n)
        host.db.dispose()
    assert without_hook == []


def test_installing_twice_writes_each_entry_once(host):
    audit.install(host.db.sessions, host.audit_key)
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "default")
        audit.record(session, actor=Actor.system(env.id), action="test.once", target_type="test", target_id=1)
    with host.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "test.once")) == 1
