"""Per-transaction state owned by the module that declares it, instead of `session.info`.

`session.info` outlives transactions: what one unit of work left there (audit entries, a parsed
invoice) was still there after a rollback and was written or reused by the session's next one.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")


class TransactionLocal(Generic[T]):
    """A value per session, made on first use and forgotten when the session's outermost transaction
    ends (commit, rollback or close): nothing of one unit of work reaches the next."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[Session, T] = weakref.WeakKeyDictionary()
        # On the Session class: every session of every factory, however it was made.
        event.listen(Session, "after_transaction_end", self._forget_at_end)

    def get(self, session: Session) -> T:
        """This transaction's value, made now if it has none yet."""
        if not session.in_transaction():
            # Begin now (no connection yet): a rollback before the first query must end it too.
            session.begin()
        value = self._values.get(session)
        if value is None:
            value = self._values[session] = self._factory()
        return value

    def peek(self, session: Session) -> T | None:
        """This transaction's value, or None when nothing was kept yet."""
        return self._values.get(session)

    def pop(self, session: Session) -> T | None:
        """Take this transaction's value out (the next get() makes a new one)."""
        return self._values.pop(session, None)

    def _forget_at_end(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            self._values.pop(session, None)
