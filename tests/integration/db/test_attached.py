"""A row inserted with one Core statement behaves as an ORM-loaded one: its defaults known, found
without a query, a change written as one UPDATE, and the instance's version check still guarding it."""
from __future__ import annotations

import pytest
from sqlalchemy import event, update

from server.attached import insert_attached
from server.auth import service as auth
from server.errors import Conflict
from server.instances.models import ProcessInstance, ProcessModelVersion


@pytest.fixture
def version_id(host) -> int:
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "acme")
        session.flush()
        version = ProcessModelVersion(environment_id=env.id, key="k", version=1, process_id="p", checksum="c")
        session.add(version)
        session.flush()
        return version.id


def statements_during(host, action) -> list[str]:
    seen: list[str] = []
    listener = lambda _c, _cu, statement, *_a: seen.append(statement.split()[0])
    event.listen(host.db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(host.db.engine, "before_cursor_execute", listener)
    return seen


def test_an_inserted_instance_is_persistent_with_its_defaults_and_one_update_saves_a_change(host, version_id):
    with host.db.unit_of_work() as session:
        env_id = session.get(ProcessModelVersion, version_id).environment_id
        instance = insert_attached(session, ProcessInstance, {
            "environment_id": env_id, "model_version_id": version_id, "model_key": "k", "state": "{}"})
        assert instance.id is not None and instance in session and not session.dirty
        # Defaults the ORM would have written are on the object, so reading them sends nothing.
        assert statements_during(host, lambda: (instance.status, instance.lock_version, instance.started_at,
                                                session.get(ProcessInstance, instance.id))) == []
        instance.status = "completed"
        assert statements_during(host, session.flush) == ["UPDATE"]
    with host.db.reading() as session:
        stored = session.get(ProcessInstance, instance.id)
        assert (stored.status, stored.lock_version, stored.started_by) == ("completed", 2, "system")


def test_a_change_to_an_inserted_instance_still_checks_its_version(host, version_id):
    with pytest.raises(Conflict), host.db.unit_of_work() as session:
        env_id = session.get(ProcessModelVersion, version_id).environment_id
        instance = insert_attached(session, ProcessInstance, {
            "environment_id": env_id, "model_version_id": version_id, "model_key": "k", "state": "{}"})
        # Someone else's write, as it would look: the row's version moved on behind this object.
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                        .values(lock_version=2).execution_options(synchronize_session=False))
        instance.status = "completed"
        session.flush()
