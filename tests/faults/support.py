"""After a fault: the audit chain verifies and every received document reached an outcome."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.verify import verify
from server.host import Host
from server.invoices.models import ReceivedDocument
from server.jobs.models import Job

OUTCOMES = ("accepted", "rejected", "waiting")


def assert_consistent(host: Host, *, acknowledged: set[int] = frozenset()) -> None:
    """The chain verifies; each stored document has an outcome; each acknowledged id is stored."""
    with host.db.unit_of_work() as session:
        result = verify(session, key=host.audit_key)
        assert result.ok, result.to_json()
        documents = {d.id: d for d in session.scalars(select(ReceivedDocument))}
        assert acknowledged <= set(documents), f"acknowledged but lost: {acknowledged - set(documents)}"
        stuck = {d.id: d.status for d in documents.values() if d.status not in OUTCOMES}
        assert not stuck, f"documents without an outcome: {stuck}"
        unstarted = [d.id for d in documents.values() if d.status == "accepted" and d.instance_id is None]
        assert not unstarted, f"accepted without a workflow: {unstarted}"


def job_states(host: Host, kind: str) -> list[tuple[str, int]]:
    with host.db.unit_of_work() as session:
        return [(j.status, j.attempts) for j in session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id))]
