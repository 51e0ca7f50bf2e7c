"""Helpers every master-data service module shares: input checks, fetching and listing per environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.errors import Conflict, InvalidInput, NotFound

Row = TypeVar("Row")
MAX_PAGE = 1000


class Checkable(Protocol):
    def problems(self) -> list[dict[str, Any]]: ...


def check(data: Checkable, *, what: str) -> None:
    """Raise InvalidInput listing every problem of the input, if it has any."""
    problems = data.problems()
    if problems:
        summary = "; ".join(f"{p['field']} {p['message']}" for p in problems)
        raise InvalidInput(f"invalid {what}: {summary}", details=problems)


def get_row(session: Session, model: type[Row], row_id: int, *, environment_id: int, what: str) -> Row:
    """The row with this id in this environment, or NotFound (rows of other environments are invisible)."""
    row = session.get(model, row_id)
    if row is None or getattr(row, "environment_id", None) != environment_id:
        raise NotFound(f"{what} {row_id} not found")
    return row


def find_row(session: Session, model: type[Row], *, environment_id: int, **keys: Any) -> Row | None:
    """The row with these column values in this environment, if any."""
    query = select(model).filter_by(environment_id=environment_id, **keys)
    return session.scalars(query).first()


def list_rows(
    session: Session,
    model: type[Row],
    *,
    environment_id: int,
    order_by: Sequence[Any],
    where: Sequence[ColumnElement[bool]] = (),
    limit: int = 100,
    offset: int = 0,
) -> list[Row]:
    """One page of an environment's rows, in a stable order."""
    if limit < 1 or limit > MAX_PAGE or offset < 0:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE} and offset not negative")
    query = select(model).filter_by(environment_id=environment_id).where(*where)
    return list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset)))


def blank_to_none(value: str | None) -> str | None:
    """Trimmed text, or None when nothing is left."""
    value = (value or "").strip()
    return value or None


def not_found(message: str, *, field: str) -> NotFound:
    """A NotFound whose details name the input field that pointed nowhere."""
    return NotFound(message, details=[{"field": field, "message": message}])


def ensure_free(session: Session, model: type[Row], *, environment_id: int, what: str, field: str, value: str,
                keep: Any = None) -> None:
    """Conflict when another row of the environment (not `keep`) already has this natural key."""
    other = find_row(session, model, environment_id=environment_id, **{field: value.strip()})
    if other is not None and other is not keep:
        raise conflict(f"{what} {value} already exists", field=field)


def conflict(message: str, *, field: str) -> Conflict:
    """A Conflict whose details name the input field whose value is taken."""
    return Conflict(message, details=[{"field": field, "message": message}])
