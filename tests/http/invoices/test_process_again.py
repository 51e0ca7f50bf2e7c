"""A document left `received` (its process died between storing and processing it, or processing raised)
is processed again by hand: one verb (operations.documents.process_document) behind the inbox's button,
POST /api/v1/documents/{id}/process and `stroom inbox process`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.app import create_app
from server.audit.models import AuditEvent
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.cli import build
from server.operations import documents
from tests.e2e.site import csrf
from tests.integration.invoices.test_recovery import (
    actions,
    document,
    failing_validator,
    instances_of,
    make_sender,
    stored_only,
)
from tests.support.factories import bearer, make_user, password_of

EDGES = ("api", "page", "cli")


@pytest.fixture
def sender(host, monkeypatch) -> Actor:
    return make_sender(host, monkeypatch)


def token_of(host, login: str) -> str:
    with host.db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.login == login)).one()
        _, plain = tokens.create_token(session, user, actor=Actor.system(user.environment_id))
        return plain


def by_hand(host, edge: str, document_id: int) -> tuple[int, str]:
    """(status or exit code, what the edge said) of processing the document again as `sender`."""
    if edge == "api":
        answer = create_app(host=host).test_client().post(f"/api/v1/documents/{document_id}/process",
                                                          headers=bearer(token_of(host, "sender")))
        return answer.status_code, answer.get_data(as_text=True)
    if edge == "page":
        client = create_app(host=host).test_client()
        token = csrf(client.get("/login").text)
        client.post("/login", data={"login": "sender", "password": password_of("sender"), "csrf_token": token})
        inbox = client.get("/inbox?status=received").text
        if f'data-testid="process-{document_id}"' not in inbox:
            return 0, "no button"
        answer = client.post(f"/inbox/{document_id}/process", data={"csrf_token": csrf(inbox)},
                             follow_redirects=True)
        return answer.status_code, answer.get_data(as_text=True)
    runner = CliRunner(env={"STROOM_DATABASE_URL": host.settings.database_url, "STROOM_SECRET_KEY": "test",
                            "STROOM_INSTANCE_DIR": str(host.settings.instance_dir)})
    result = runner.invoke(build(), ["inbox", "process", str(document_id), "--as", "sender"])
    return result.exit_code, result.output


@pytest.mark.parametrize("edge", EDGES)
def test_a_document_left_unprocessed_is_processed_by_hand_once_through_each_edge(host, sender, edge):
    document_id = stored_only(host, sender)
    status, said = by_hand(host, edge, document_id)
    assert status == {"api": 200, "page": 200, "cli": 0}[edge], said
    if edge == "page":
        assert f"Invoice accepted (document {document_id})." in said
        assert f'data-testid="process-{document_id}"' not in said  # processed: no button any more
    else:
        assert json.loads(said.strip().splitlines()[-1])["status"] == "accepted"
    stored = document(host, document_id)
    assert stored.status == "accepted" and [i.id for i in instances_of(host, document_id)] == [stored.instance_id]
    assert actions(host, document_id)[-1] == "document.recovered"
    with host.db.unit_of_work() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.recovered")).one()
        assert entry.after["via"] == "by_hand" and entry.actor == "sender"

    again_status, again_said = by_hand(host, edge, document_id)
    assert again_status == {"api": 409, "page": 0, "cli": 1}[edge], again_said
    if edge != "page":
        assert "already_processed" in again_said or "was processed already" in again_said
    assert len(instances_of(host, document_id)) == 1


def test_processing_by_hand_is_refused_to_other_environments_and_to_auditors(host, sender):
    document_id = stored_only(host, sender)
    _, stranger = make_user(host, "stranger", roles=("admin",), environment="other")
    _, auditor = make_user(host, "ada", roles=("auditor",))
    client = create_app(host=host).test_client()
    path = f"/api/v1/documents/{document_id}/process"
    assert client.post(path, headers=bearer(stranger)).status_code == 404
    assert client.post(path, headers=bearer(auditor)).status_code == 403
    assert document(host, document_id).status == "received" and instances_of(host, document_id) == []


def test_a_failing_try_by_hand_keeps_its_error_on_the_document(host, sender):
    document_id = stored_only(host, sender)
    with pytest.raises(RuntimeError):
        documents.process_document(host, actor=sender, document_id=document_id, validator=failing_validator)
    stored = document(host, document_id)
    assert stored.status == "received" and stored.recovery_error == "RuntimeError: validator crashed"
    assert actions(host, document_id)[-1] == "document.recovery_failed"
    again = documents.process_document(host, actor=sender, document_id=document_id)
    assert again.status == "accepted" and not again.duplicate
