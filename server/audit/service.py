"""record() queues audit entries for the session's transaction; they are chained and written just before commit.

Writing at commit keeps the per-environment chain lock (the head row) held for the shortest time
and inserts a transaction's entries in one batch. The queue belongs to the transaction (not to
`session.info`): a rolled-back transaction, or savepoint, leaves no entry, now or at a later commit.
Links are HMAC-SHA256 under the audit key (server/audit/keys.py); rows written before migration 0011
keep their plain SHA-256 links (`entry_hash` without a key) and are sealed by `AuditKeyedSegment`.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from server.actor import Actor
from server.audit.keys import keyed_hash
from server.audit.models import AuditChainHead, AuditEvent
from server.db import utcnow
from server.txlocal import TransactionLocal

GENESIS = "0" * 64
# Each entry with the savepoint it was recorded in (None: the outermost transaction).
_Queued = tuple[SessionTransaction | None, dict[str, Any]]
_PENDING: TransactionLocal[list[_Queued]] = TransactionLocal(list)


def record(session: Session, *, actor: Actor, action: str, target_type: str, target_id: object,
           instance_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, note: str | None = None,
           environment_id: int | None = None) -> None:
    """Queue an audit entry; it is written in the same transaction, at commit."""
    _PENDING.get(session).append((session.get_nested_transaction(), {
        "environment_id": environment_id if environment_id is not None else actor.environment_id,
        "at": utcnow(), "actor_type": actor.kind, "actor": actor.name, "action": action,
        "target_type": target_type, "target_id": str(target_id), "instance_id": instance_id,
        "before": _jsonable(before), "after": _jsonable(after), "note": note,
    }))


def queued(session: Session, *, instance_id: int, prefix: str = "") -> list[dict[str, Any]]:
    """Entries of this transaction not yet written (they are at commit), oldest first, as rows."""
    return [dict(row) for _, row in _PENDING.peek(session) or ()
            if row["instance_id"] == instance_id and row["action"].startswith(prefix)]


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop the entries recorded inside a savepoint that was rolled back (the outermost transaction's
    end drops them all, see TransactionLocal)."""
    queue = _PENDING.peek(session)
    if queue and previous_transaction.nested:
        queue[:] = [(at, row) for at, row in queue if not _inside(at, previous_transaction)]


def _inside(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


# Built once: json.dumps() with options builds a new encoder per call, and a received invoice
# writes about fifteen entries.
_PLAIN = json.JSONEncoder(default=str)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(_PLAIN.encode(value))


def entry_hash(prev_hash: str, row: dict[str, Any], key: bytes | None = None) -> str:
    """The chain link over the previous hash and the entry's canonical JSON: HMAC-SHA256 under `key`,
    or plain SHA-256 (the links written before migration 0011) when `key` is None."""
    at = row["at"]
    fields = {
        "environment_id": row["environment_id"], "seq": row["seq"],
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds") if at else None,
        "actor_type": row["actor_type"], "actor": row["actor"], "action": row["action"],
        "target_type": row["target_type"], "target_id": row["target_id"], "instance_id": row["instance_id"],
        "before": row["before"], "after": row["after"], "note": row["note"],
    }
    canonical = _CANONICAL.encode(fields)
    if key is None:
        return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
    return keyed_hash(key, prev_hash + canonical)


def ensure_chain(session: Session, environment_id: int) -> None:
    """Create the chain head of a new environment (called when the environment is created)."""
    session.add(AuditChainHead(environment_id=environment_id, seq=0, hash=GENESIS))


_HEAD = (select(AuditChainHead.seq, AuditChainHead.hash)
         .where(AuditChainHead.environment_id == bindparam("env")).with_for_update())
_MOVE_HEAD = (update(AuditChainHead).where(AuditChainHead.environment_id == bindparam("env"))
              .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))
_INSERT = insert(AuditEvent)


def write_pending(session: Session, key: bytes) -> None:
    """Chain (keyed) and insert the buffered entries; takes each environment's head row lock."""
    pending = _PENDING.pop(session)
    if not pending:
        return
    session.flush()
    by_env: dict[int, list[dict[str, Any]]] = {}
    for _, row in pending:
        by_env.setdefault(row["environment_id"], []).append(row)
    connection = session.connection()
    for env_id in sorted(by_env):
        seq, prev = connection.execute(_HEAD, {"env": env_id}).one()
        rows = []
        for row in by_env[env_id]:
            seq += 1
            row = {**row, "seq": seq, "prev_hash": prev}
            row["hash"] = prev = entry_hash(prev, row, key)
            rows.append(row)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(_APPEND_POSTGRES, _as_document(rows, env_id, seq, prev))
        else:
            connection.execute(_INSERT, rows)
            connection.execute(_MOVE_HEAD, {"env": env_id, "new_seq": seq, "new_hash": prev})


# PostgreSQL: the entries go as one JSON document, unpacked by the server into rows, and the head moves in
# the same statement. Its text is the same for 1 entry or 10,000, so psycopg converts it once and the
# server keeps it prepared; a multi-row VALUES batch had new text per entry count, over psycopg's 4 KB
# cache limit, and took a millisecond of Python per commit to convert (executemany: one INSERT per
# entry). One JSON string (C encoder) rather than an array per column: psycopg dumps arrays in Python.
_COLUMNS = ("environment_id", "seq", "at", "actor_type", "actor", "action", "target_type", "target_id",
            "instance_id", "before", "after", "prev_hash", "hash", "note")
_APPEND_POSTGRES = (
    f"WITH added AS (INSERT INTO audit_events ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} "
    "FROM json_populate_recordset(NULL::audit_events, %(rows)s::json)) "
    "UPDATE audit_chain_heads SET seq = %(new_seq)s, hash = %(new_hash)s WHERE environment_id = %(env)s")


def _as_document(rows: list[dict[str, Any]], env_id: int, seq: int, head: str) -> dict[str, Any]:
    # `at` to the microsecond with its offset: the stored timestamp is the one the link was computed over.
    # An empty before/after is stored as SQL NULL (the ORM wrote JSON null); both read back as None.
    entries = [{**{name: row[name] for name in _COLUMNS}, "at": row["at"].isoformat()} for row in rows]
    return {"rows": _PLAIN.encode(entries), "env": env_id, "new_seq": seq, "new_hash": head}


def install(sessions: sessionmaker[Session], key: bytes) -> None:
    """Hook write_pending, keyed with `key`, into every commit of this session factory (once).

    The mark lives on the factory itself: `event.contains()` answered True for a new factory that
    happened to get the memory address of a garbage-collected one, which then wrote no audit rows at
    all (one in five hosts opened in a loop, tests/integration/audit/test_install.py).
    """
    if getattr(sessions, "_stroom_audit_installed", False):
        return
    if not key:
        raise ValueError("the audit chain needs a key")
    event.listen(sessions, "before_commit", functools.partial(write_pending, key=key))
    sessions._stroom_audit_installed = True  # type: ignore[attr-defined]
