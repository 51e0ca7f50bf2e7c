"""Two admins turn Python scripts on at the same moment: one change, one audit entry, true befores."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import open_host
from server.auth import script_policy as policy
from tests.conftest import make_settings
from tests.support import databases


def test_two_admins_at_once_make_one_change_and_one_audit_entry(postgres_url: str, tmp_path) -> None:
    databases.truncate_all(postgres_url)
    host = open_host(make_settings(tmp_path, postgres_url))
    db = host.db
    try:
        with db.unit_of_work() as session:
            env_id = auth.ensure_environment(session, "acme").id
        first_holds_the_row = threading.Event()
        errors: list[BaseException] = []

        def first() -> None:
            try:
                with db.unit_of_work() as session:
                    policy.set_python_scripts(session, actor=Actor.system(env_id, "ada"),
                                              environment_id=env_id, enabled=True)
                    first_holds_the_row.set()
                    time.sleep(0.5)  # the second admin reads the setting meanwhile
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                first_holds_the_row.set()

        runner = threading.Thread(target=first)
        runner.start()
        first_holds_the_row.wait(30)
        with db.unit_of_work() as session:
            view = policy.set_python_scripts(session, actor=Actor.system(env_id, "bob"),
                                             environment_id=env_id, enabled=True)
        runner.join()
        assert errors == [] and view.python_scripts is True
        with db.unit_of_work() as session:
            entries = session.execute(select(AuditEvent.actor, AuditEvent.before, AuditEvent.after).where(
                AuditEvent.action == "environment.settings_changed")).all()
        assert entries == [("ada", {"python_scripts": False}, {"python_scripts": True})]
    finally:
        db.dispose()
