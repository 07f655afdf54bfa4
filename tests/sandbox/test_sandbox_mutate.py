"""Changes between syncs: deterministic, visible through each API the way the real ones show them."""

from __future__ import annotations

import httpx
from sandbox_support import incidentio_headers, pagerduty_headers

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation
from pipelines.sandbox.ids import iso_ms
from tests.oracle import truth


def test_mutations_are_deterministic(fresh_org: Organisation) -> None:
    twin = generate_organisation("small", seed=42, anchor=fresh_org.anchor)
    assert fresh_org.mutate(1) == twin.mutate(1)
    assert fresh_org.mutate() == twin.mutate(2)
    assert fresh_org.counts() == twin.counts()


def test_mutation_effects(fresh_org: Organisation) -> None:
    org = fresh_org
    before_incidents = {k: dict(v) for k, v in org.io_incidents.items()}
    before_pd = {k: dict(v) for k, v in org.pd_incidents.items()}
    before_counts = org.counts()
    change = org.mutate(1)
    at = change["at"]

    assert len(org.io_incidents) == len(before_incidents) + len(change["new_incidents"])
    for inc_id in change["new_incidents"]:
        inc = org.io_incidents[inc_id]
        assert inc["incident_status"]["category"] == "live" and inc["slack_channel_id"]
        assert truth.linked_pagerduty_incident_id(org, inc) in org.pd_incidents

    edited = org.io_incidents[change["edited_incident"]]
    old = before_incidents[change["edited_incident"]]
    assert edited["updated_at"] > old["updated_at"]
    assert (edited["name"], edited["severity"]) != (old["name"], old["severity"])

    resolved = org.io_incidents[change["resolved_incident"]]
    assert before_incidents[resolved["id"]]["incident_status"]["category"] == "live"
    assert resolved["incident_status"]["category"] == "learning"
    assert truth.resolved_at(org, resolved) is not None

    for key in ("resolved_pagerduty_incident", "resolved_unlinked_pagerduty_incident"):
        pd = org.pd_incidents[change[key]]
        assert before_pd[pd["id"]]["status"] != "resolved" and pd["status"] == "resolved"
        assert pd["created_at"] == before_pd[pd["id"]]["created_at"], "created_at never moves"
        assert pd["resolved_at"][:16] == at[:16]
        assert org.pd_log_entries[pd["id"]][-1]["type"] == "resolve_log_entry"

    cid, parent_ts, reply_ts = change["late_reply"]
    parent = org.slack_logs[cid].find_top(parent_ts)
    assert parent is not None and parent["latest_reply"] == reply_ts
    assert float(parent_ts) < float(reply_ts) - 20 * 86400

    pid, entry_id = change["new_log_entries"][0]
    assert org.pd_log_entries[pid][-1]["id"] == entry_id
    after = org.counts()
    assert after["slack_messages"] > before_counts["slack_messages"]
    assert after["pagerduty_log_entries"] > before_counts["pagerduty_log_entries"]


def test_mutations_over_http(http: httpx.Client, fresh_org: Organisation) -> None:
    with SandboxServer(fresh_org) as server:
        env = server.env()
        since = iso_ms(fresh_org.anchor.timestamp())
        every = {"mode[one_of]": ["standard", "retrospective", "test", "tutorial"], "page_size": 250}
        url = env["INCIDENTIO_BASE_URL"] + "/v2/incidents"
        query = {**every, "updated_at[gte]": since}
        assert http.get(url, params=query, headers=incidentio_headers(env)).json()["incidents"] == []

        change = http.post(server.base_url + "/_sandbox/mutate").json()
        assert change["step"] == 1
        changed = {
            i["id"] for i in http.get(url, params=query, headers=incidentio_headers(env)).json()["incidents"]
        }
        assert {change["edited_incident"], change["resolved_incident"], *change["new_incidents"]} <= changed

        cid, parent_ts, reply_ts = change["late_reply"]
        slack = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
        replies = http.get(
            env["SLACK_BASE_URL"] + "conversations.replies",
            params={"channel": cid, "ts": parent_ts},
            headers=slack,
        ).json()["messages"]
        assert replies[0]["latest_reply"] == reply_ts and replies[-1]["ts"] == reply_ts
        new_cid, new_ts = change["new_messages"][0]
        history = http.get(
            env["SLACK_BASE_URL"] + "conversations.history",
            params={"channel": new_cid, "oldest": str(fresh_org.anchor.timestamp())},
            headers=slack,
        ).json()["messages"]
        assert new_ts in {m["ts"] for m in history}

        pd_id = change["resolved_unlinked_pagerduty_incident"]
        pd = http.get(
            env["PAGERDUTY_BASE_URL"] + f"/incidents/{pd_id}", headers=pagerduty_headers(env)
        ).json()
        assert pd["incident"]["status"] == "resolved"

        assert http.post(server.base_url + "/_sandbox/mutate", params={"step": 5}).json()["step"] == 5
        assert fresh_org.mutation_steps == [1, 5]


def test_resolving_an_incident_keeps_its_ids(fresh_org: Organisation) -> None:
    org = fresh_org
    live = sorted(
        (i for i in org.io_incidents.values() if i["incident_status"]["category"] == "live"),
        key=lambda i: i["created_at"],
    )
    target = live[0]["id"]
    updates = [u["id"] for u in org.io_updates[target]]
    attachments = [a["id"] for a in org.io_attachments[target]]
    actions = [a["id"] for a in org.io_actions if a["incident_id"] == target]
    change = org.mutate(1)
    assert change["resolved_incident"] == target
    assert [u["id"] for u in org.io_updates[target]][: len(updates)] == updates
    assert len(org.io_updates[target]) == len(updates) + 1
    assert [a["id"] for a in org.io_attachments[target]] == attachments
    assert [a["id"] for a in org.io_actions if a["incident_id"] == target] == actions


def test_deletions_at_the_source(fresh_org: Organisation) -> None:
    org = fresh_org
    deleted: dict[str, set[str]] = {"action": set(), "follow_up": set(), "attachment": set()}
    unassigned: set[tuple[str, str]] = set()
    for step in (1, 2, 3, 4):
        change = org.mutate(step)
        cid, ts = change["deleted_message"]
        assert org.slack_logs[cid].find_top(ts) is None
        assert ts not in {m["ts"] for rs in org.slack_logs[cid].threads.values() for m in rs}
        cid, parent_ts, reply_ts = change["deleted_reply"]
        log = org.slack_logs[cid]
        replies = log.threads[parent_ts]
        parent = log.find_top(parent_ts)
        assert parent is not None and reply_ts not in {r["ts"] for r in replies}
        # The parent tells what is left, as Slack's does.
        assert parent["reply_count"] == len(replies) and parent["latest_reply"] == replies[-1]["ts"]
        assert set(parent["reply_users"]) <= {r["user"] for r in replies}
        deleted["action"].add(change["deleted_action"])
        deleted["follow_up"].add(change["deleted_follow_up"])
        deleted["attachment"].add(change["deleted_attachment"][1])
        inc_id, role_type = change["unassigned_role"]
        unassigned.add((inc_id, role_type))
        record = org.io_incidents[inc_id]
        role = next(a for a in record["incident_role_assignments"] if a["role"]["role_type"] == role_type)
        assert "assignee" not in role and record["updated_at"] == iso_ms(org.anchor.timestamp() + step * 600)
    # Gone for good, even from incidents rebuilt by later steps (resolved ones).
    assert not deleted["action"] & {a["id"] for a in org.io_actions}
    assert not deleted["follow_up"] & {f["id"] for f in org.io_follow_ups}
    assert not deleted["attachment"] & {a["id"] for atts in org.io_attachments.values() for a in atts}
    # The oracle leaves the unassigned roles out.
    kept = {(i, kind) for i, _name, kind, _email in truth.role_assignments(org)}
    assert not unassigned & kept


def test_deletions_over_http(http: httpx.Client, fresh_org: Organisation) -> None:
    with SandboxServer(fresh_org) as server:
        env = server.env()
        change = http.post(server.base_url + "/_sandbox/mutate").json()
        slack = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
        cid, parent_ts, reply_ts = change["deleted_reply"]
        messages = http.get(
            env["SLACK_BASE_URL"] + "conversations.replies",
            params={"channel": cid, "ts": parent_ts},
            headers=slack,
        ).json()["messages"]
        assert reply_ts not in {m["ts"] for m in messages}
        assert messages[0]["reply_count"] == len(messages) - 1
        inc_id, attachment = change["deleted_attachment"]
        listed = http.get(
            env["INCIDENTIO_BASE_URL"] + "/v1/incident_attachments",
            params={"incident_id": inc_id},
            headers=incidentio_headers(env),
        ).json()["incident_attachments"]
        assert attachment not in {a["id"] for a in listed}
        follow_ups = http.get(
            env["INCIDENTIO_BASE_URL"] + "/v2/follow_ups", headers=incidentio_headers(env)
        ).json()["follow_ups"]
        assert change["deleted_follow_up"] not in {f["id"] for f in follow_ups}
