"""Changes between syncs: deterministic, visible through each API the way the real ones show them."""

from __future__ import annotations

import httpx
from sandbox_support import incidentio_headers, pagerduty_headers

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation, truth
from pipelines.sandbox.ids import iso_ms


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
