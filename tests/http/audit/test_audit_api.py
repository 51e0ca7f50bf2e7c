"""Auditors search, page, export and verify the log over HTTP."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

from server.audit import checkpoints
from server.audit.export import rows as export_rows
from server.audit.query import AuditFilter
from server.instances import admin
from server.operations import instances as operations
from tests.support.factories import bearer

AUDIT = "/api/v1/audit"


def two_instances(purchase):
    acme = purchase.start(invoice={"supplier_name": "Acme Tools BV", "payable_amount": "100.00"})
    with purchase.host.db.unit_of_work() as session:
        operations.suspend(session, purchase.host, actor=purchase.admin, instance_id=acme, reason="check supplier")
    other = purchase.start(business_key=None, invoice_number="INV-77", invoice={"supplier_name": "Globex"})
    return acme, other


def test_auditors_filter_by_instance_invoice_supplier_actor_action_and_time(purchase, client):
    acme, other = two_instances(purchase)
    headers = bearer(purchase.tokens["audrey"])

    def ids(query: str) -> set[int]:
        response = client.get(f"{AUDIT}?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return {e["instance_id"] for e in response.get_json()["items"]}

    assert ids(f"instance={acme}") == {acme}
    assert ids("invoice=INV-77") == {other}  # found in the instance data
    assert ids("invoice=INV-1") == {acme}  # the business key, and its data
    assert ids("supplier=acme") == {acme}
    suspended = client.get(f"{AUDIT}?actor=ada&action=admin.", headers=headers).get_json()["items"]
    assert [(e["action"], e["note"], e["before"], e["after"]) for e in suspended] == [
        ("admin.suspended", "check supplier", {"status": "running"}, {"status": "suspended"})]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"{AUDIT}?since={future}", headers=headers).get_json()["items"] == []
    assert client.get(f"{AUDIT}?since=yesterday", headers=headers).status_code == 422


def test_keyset_pages_cover_every_entry_once_newest_first(purchase, client):
    two_instances(purchase)
    headers = bearer(purchase.tokens["audrey"])
    seen, cursor = [], None
    while True:
        page = client.get(f"{AUDIT}?limit=7" + (f"&cursor={cursor}" if cursor else ""), headers=headers).get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = client.get(f"{AUDIT}?limit=500", headers=headers).get_json()["items"]
    assert seen == [e["id"] for e in everything] == sorted(seen, reverse=True)
    assert len(seen) > 14


def test_exports_stream_every_matching_entry_as_csv_and_json_lines(purchase, client):
    acme, _ = two_instances(purchase)
    headers = bearer(purchase.tokens["audrey"])
    expected = [e["id"] for e in reversed(client.get(f"{AUDIT}?limit=500", headers=headers).get_json()["items"])]
    jsonl = client.get(f"{AUDIT}/export?format=jsonl", headers=headers)
    assert jsonl.status_code == 200 and jsonl.is_streamed
    assert jsonl.content_type == "application/x-ndjson"
    lines = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert [line["id"] for line in lines] == expected
    exported = client.get(f"{AUDIT}/export?format=csv&instance={acme}&action=admin.", headers=headers)
    assert exported.content_type.startswith("text/csv")
    (record,) = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert record["action"] == "admin.suspended" and json.loads(record["after"]) == {"status": "suspended"}
    assert client.get(f"{AUDIT}/export?format=xml", headers=headers).status_code == 422


def test_export_batches_join_up_without_gaps_or_repeats(purchase):
    two_instances(purchase)
    env = purchase.admin.environment_id
    small = [r.id for r in export_rows(purchase.host.db, env, AuditFilter(), batch=3)]
    whole = [r.id for r in export_rows(purchase.host.db, env, AuditFilter(), batch=10_000)]
    assert small == whole == sorted(set(whole)) and len(whole) > 10


def test_verify_over_http_reports_the_chain_of_the_callers_environment(purchase, client):
    two_instances(purchase)
    report = client.get(f"{AUDIT}/verify", headers=bearer(purchase.tokens["audrey"])).get_json()
    assert report["ok"] is True and report["checked"] > 10 and report["first_broken"] is None


def test_an_auditor_takes_a_signed_checkpoint_that_later_proves_the_log_unchanged(purchase, client):
    two_instances(purchase)
    response = client.get(f"{AUDIT}/checkpoint", headers=bearer(purchase.tokens["audrey"]))
    assert response.status_code == 200
    checkpoint = response.get_json()
    assert set(checkpoint) == {"environment", "sequence", "head", "time", "signature"}
    assert checkpoint["sequence"] > 10 and len(checkpoint["head"]) == len(checkpoint["signature"]) == 64
    with purchase.host.db.unit_of_work() as session:
        assert checkpoints.verify_against(session, checkpoint, key=purchase.host.audit_key).ok
        forged = {**checkpoint, "sequence": checkpoint["sequence"] - 1}
        report = checkpoints.verify_against(session, forged, key=purchase.host.audit_key).to_json()
    assert report["ok"] is False and "signature mismatch" in report["first_broken"]["reason"]


def test_users_without_audit_rights_cannot_read_the_log(purchase, client):
    for path in (AUDIT, f"{AUDIT}/export", f"{AUDIT}/verify", f"{AUDIT}/checkpoint"):
        assert client.get(path, headers=bearer(purchase.tokens["carl"])).status_code == 403
        assert client.get(path).status_code == 401
