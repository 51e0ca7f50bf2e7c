"""Groups, tokens, settings and the audit log through the API and `stroom`: both edges call the same verbs
(server.auth, server.operations.audit), so a change made through one shows through the other, is audited
alike, and the chain checks, checkpoints and exports of both agree."""
from __future__ import annotations

import json
from typing import Any

from tests.http.operations.conftest import Edges


def api_groups(edges: Edges) -> dict[str, list[str]]:
    answer = edges.site.client("admin").get("/api/v1/groups?limit=200").get_json()
    return {group["name"]: group["members"] for group in answer["groups"]}


def test_groups_made_through_either_edge_read_the_same_through_both(edges: Edges) -> None:
    client, token = edges.browser("admin")
    made = client.post("/api/v1/groups", json={"name": "controllers"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    added = client.post("/api/v1/groups/controllers/members", json={"login": "erik"}, headers={"X-CSRF-Token": token})
    assert added.status_code == 200, added.text
    assert edges.stroom("groups", "create", "reviewers") == (0, [{"name": "reviewers", "environment": "default"}])
    assert edges.stroom("groups", "add", "reviewers", "maria") == (
        0, [{"group": "reviewers", "login": "maria", "member": True}])

    code, listed = edges.stroom("groups", "list")
    assert code == 0 and {g["name"]: g["members"] for g in listed} == api_groups(edges)
    assert api_groups(edges)["controllers"] == ["erik"] and api_groups(edges)["reviewers"] == ["maria"]
    by_api, by_cli = edges.audit("group.member_added", "controllers"), edges.audit("group.member_added", "reviewers")
    assert (by_api.actor, by_api.after) == ("admin", {"login": "erik"})
    assert (by_cli.actor, by_cli.after) == ("cli", {"login": "maria"})

    assert edges.stroom("groups", "remove", "reviewers", "maria")[0] == 0
    assert api_groups(edges)["reviewers"] == []
    refused = edges.stroom("groups", "create", "controllers")
    assert refused[0] == 1  # the verb's Conflict, as the API's 409
    again = client.post("/api/v1/groups", json={"name": "reviewers"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "group_exists"


def test_a_token_made_on_the_command_line_is_listed_and_revoked_alike(edges: Edges) -> None:
    code, (made,) = edges.stroom("tokens", "create", "maria", "--name", "erp")
    assert code == 0 and made["token"].startswith("stroom_")
    admin = edges.site.client("admin")
    by_api = [(t["id"], t["login"], t["name"], t["revoked_at"] is not None)
              for t in admin.get("/api/v1/tokens").get_json()["tokens"]]
    by_cli = [(t["id"], t["login"], t["name"], t["revoked"]) for t in edges.stroom("tokens", "list")[1]]
    assert by_api == by_cli and (made["id"], "maria", "erp", False) in by_cli
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert edges.site.app.test_client().get("/api/v1/session", headers=bearer).get_json()["user"]["login"] == "maria"
    assert edges.stroom("tokens", "revoke", str(made["id"])) == (0, [{"id": made["id"], "revoked": True}])
    assert edges.site.app.test_client().get("/api/v1/session", headers=bearer).status_code == 401
    assert edges.audit("token.revoked", "maria").after == {"token_id": made["id"]}


def test_settings_show_the_same_through_both_edges(edges: Edges) -> None:
    by_api = edges.site.client("admin").get("/api/v1/environment/settings").get_json()
    assert edges.stroom("settings", "show") == (0, [by_api])


def test_the_chain_check_checkpoint_and_export_agree_through_both_edges(edges: Edges) -> None:
    key = {"STROOM_AUDIT_KEY": edges.site.host.audit_key.decode()}  # the site's key: the CLI has its own folder
    auditor = edges.site.client("audrey")  # logged in first: logging in writes audit entries of its own
    by_api = auditor.get("/api/v1/audit/verify").get_json()
    assert by_api["ok"] is True and by_api["checked"] > 0
    assert edges.stroom("audit", "verify", "--environment", "default", **key) == (0, [by_api])

    checkpoint = auditor.get("/api/v1/audit/checkpoint").get_json()
    code, (by_cli,) = edges.stroom("audit", "checkpoint", **key)
    assert code == 0 and {k: by_cli[k] for k in ("environment", "sequence", "head")} == {
        k: checkpoint[k] for k in ("environment", "sequence", "head")}
    saved = edges.tmp / "checkpoint.json"
    saved.write_text(json.dumps(checkpoint))  # the API's checkpoint, signed with the same key, proves itself
    code, (report,) = edges.stroom("audit", "verify", "--checkpoint", str(saved), "--since-checkpoint", **key)
    assert code == 0 and report["checkpoint"] == {"environment": "default", "sequence": checkpoint["sequence"],
                                                  "time": checkpoint["time"], "ok": True, "incremental": True}

    exported: list[dict[str, Any]] = [json.loads(line) for line in
                                      auditor.get("/api/v1/audit/export?format=jsonl").text.splitlines()]
    assert edges.stroom("audit", "export", **key) == (0, exported)
    assert edges.stroom("audit", "export", "--action", "group.", **key) == (0, [
        row for row in exported if row["action"].startswith("group.")])


def test_a_tampered_row_breaks_the_chain_for_both_edges(edges: Edges) -> None:
    key = {"STROOM_AUDIT_KEY": edges.site.host.audit_key.decode()}
    auditor = edges.site.client("audrey")
    with edges.site.host.db.engine.begin() as connection:  # an attacker with the append-only guard off
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
        connection.exec_driver_sql("UPDATE audit_events SET action = 'edited' WHERE seq = 2 AND environment_id = "
                                   "(SELECT id FROM environments WHERE name = 'default')")
    by_api = auditor.get("/api/v1/audit/verify").get_json()
    assert by_api["ok"] is False and by_api["first_broken"]["seq"] == 2
    assert edges.stroom("audit", "verify", "--environment", "default", **key) == (1, [by_api])
