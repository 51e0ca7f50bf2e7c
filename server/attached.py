"""ORM objects for rows the hot paths write or read with one prebuilt Core statement.

A row inserted with the ORM costs a flush (the unit of work sorts its mappers, builds the statement,
fetches the new id back into the object): about 0.4 ms of Python per row, and an ingested invoice
inserted two that way. `insert_attached` writes the row with one `INSERT .. RETURNING id` instead and
hands back the object as if it had been loaded: persistent in the session, every column known, no
history, so a later change to it is one UPDATE in the next flush (with its version check, where the
mapper has one) and `session.get()` finds it without a query. `attach` does the same for a row read
with Core.
"""
from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached
from sqlalchemy.sql.dml import ReturningInsert

from server.db import execute

Model = TypeVar("Model", bound=DeclarativeBase)


def insert_attached(session: Session, model: type[Model], values: dict[str, Any]) -> Model:
    """Insert one row of `model` (column defaults filled in here, so the object knows them) and return it
    persistent in `session`, its id assigned. Runs at once, in the session's transaction; no flush."""
    table: Table = model.__table__  # type: ignore[assignment]
    row = {column.key: _value(column, values) for column in table.columns
           if not column.primary_key and (column.key in values or column.server_default is None)}
    row["id"] = execute(session, _insert(model), row).scalar_one()
    return attach(session, model(**row))


def attach(session: Session, instance: Model) -> Model:
    """Make a transient object built from a stored row (its primary key set) persistent in `session`
    without a query; attributes not given load on first use."""
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


@functools.cache
def _insert(model: type[DeclarativeBase]) -> ReturningInsert[tuple[int]]:
    # Built once per model: see server.db.execute on what a prebuilt statement saves.
    return insert(model).returning(model.__table__.c.id)


def _value(column: Any, values: dict[str, Any]) -> Any:
    """The given value, else the column's Python-side default (what the ORM would have inserted); a column
    with only a server default and no value is left out (the object loads it on first use)."""
    if column.key in values:
        return values[column.key]
    default = column.default
    if default is None:
        return None
    # SQLAlchemy wraps every callable default to take the execution context, which these defaults ignore.
    return default.arg(None) if default.is_callable else default.arg
