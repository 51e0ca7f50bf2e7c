"""Migration 0010 gives existing users a session epoch and the operator flag (off), and can be undone."""
from __future__ import annotations


from sqlalchemy import select, text

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import User
from server.db import Database
from server.migrate import upgrade
from tests.integration.db.test_migration_supplier_search import migrate

BEFORE = "0009_task_supplier_search"


def test_existing_users_start_at_epoch_zero_as_no_operator_and_the_columns_go_again(private_url: str):
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            auth.create_user(session, env.id, "ann", actor=Actor.system(env.id))
        migrate(db, "downgrade", BEFORE)  # as a database of the previous release, with its users
        with db.engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM users")).keys()
            assert "session_epoch" not in columns and "operator" not in columns
            connection.execute(text(
                "INSERT INTO users (environment_id, login, display_name, email, language, active, "
                "failed_logins, created_at) SELECT environment_id, 'bob', 'bob', '', 'en', active, 0, "
                "created_at FROM users WHERE login = 'ann'"))
            connection.commit()
        upgrade(db.engine)
        with db.unit_of_work() as session:
            rows = session.execute(select(User.login, User.session_epoch, User.operator)
                                   .order_by(User.login)).all()
            assert [tuple(r) for r in rows] == [("ann", 0, False), ("bob", 0, False)]
            auth.end_sessions(session, session.scalars(select(User.id).where(User.login == "bob")).one())
        with db.unit_of_work() as session:
            assert session.scalars(select(User.session_epoch).where(User.login == "bob")).one() == 1
    finally:
        db.dispose()
