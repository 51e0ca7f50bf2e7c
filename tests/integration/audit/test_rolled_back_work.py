"""An action that is rolled back leaves no audit entry: not now, and not at the session's next commit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit import service as audit
from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor


def _actions(host) -> list[str]:
    with host.db.reading() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                                    .order_by(AuditEvent.seq)))


def _environment(host) -> int:
    with host.db.unit_of_work() as session:
        return auth.ensure_environment(session, "default").id


def _note(session, env_id: int, action: str, *, instance_id: int | None = 7) -> None:
    audit.record(session, actor=Actor.system(env_id), action=action, target_type="test", target_id=1,
                 instance_id=instance_id)


def test_a_rolled_back_transaction_leaves_nothing_queued_for_the_next_commit(host):
    env_id = _environment(host)
    session = host.db.sessions()
    try:
        _note(session, env_id, "test.abandoned")
        assert [e["action"] for e in audit.queued(session, instance_id=7)] == ["test.abandoned"]
        session.rollback()
        assert audit.queued(session, instance_id=7) == []
        _note(session, env_id, "test.kept")
        session.commit()
    finally:
        session.close()
    assert _actions(host) == ["test.kept"]


def test_a_failed_unit_of_work_writes_no_entry(host):
    env_id = _environment(host)
    with pytest.raises(RuntimeError), host.db.unit_of_work() as session:
        _note(session, env_id, "test.failed")
        raise RuntimeError("the operation failed halfway")
    with host.db.unit_of_work() as session:
        _note(session, env_id, "test.next")
    assert _actions(host) == ["test.next"]


def test_entries_of_a_rolled_back_savepoint_are_dropped_and_the_rest_written(host):
    env_id = _environment(host)
    with host.db.unit_of_work() as session:
        _note(session, env_id, "test.before")
        savepoint = session.begin_nested()
        _note(session, env_id, "test.inside_rolled_back")
        savepoint.rollback()
        _note(session, env_id, "test.after")
    assert _actions(host) == ["test.before", "test.after"]
