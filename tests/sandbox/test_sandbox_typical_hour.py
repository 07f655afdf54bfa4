"""One typical hour of change (`typical_hour`, `POST /_sandbox/mutate?kind=typical_hour`): a few incident
updates and ~100 Slack messages, newer than anything synced before, and nothing else."""

from __future__ import annotations

import httpx
import pytest
from sandbox_support import incidentio_headers

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation
from pipelines.sandbox.ids import iso_ms, slack_ts_us
from pipelines.sandbox.mutations import typical_hour


def test_typical_hour_is_deterministic(fresh_org: Organisation) -> None:
    twin = generate_organisation("small", seed=42, anchor=fresh_org.anchor)
    assert typical_hour(fresh_org) == typical_hour(twin)
    assert fresh_org.counts() == twin.counts()


def test_typical_hour_changes_only_what_it_says(fresh_org: Organisation) -> None:
    org = fresh_org
    before_time = org.data_time
    before_incidents = {k: dict(v) for k, v in org.io_incidents.items()}
    before_updates = {k: len(v) for k, v in org.io_updates.items()}
    before_counts = org.counts()

    change = typical_hour(org, messages=40, updated=2)

    assert change["kind"] == "typical_hour" and org.mutation_steps == [change["step"]]
    after = org.counts()
    assert after["slack_messages"] == before_counts["slack_messages"] + 40
    live = [p for p in org.context.incidents.values() if p.category == "live" and p.channel_id]
    assert after["incidentio_updates"] == before_counts["incidentio_updates"] + min(2, len(live))
    unchanged = {k for k in after if k not in ("slack_messages", "incidentio_updates")}
    assert {k: after[k] for k in unchanged} == {k: before_counts[k] for k in unchanged}

    assert len(change["updated_incidents"]) == min(2, len(live))
    moved = {k for k, v in org.io_incidents.items() if v["updated_at"] != before_incidents[k]["updated_at"]}
    assert moved == set(change["updated_incidents"])
    for inc_id in change["updated_incidents"]:
        assert org.io_incidents[inc_id]["incident_status"]["category"] == "live"
        assert len(org.io_updates[inc_id]) == before_updates.get(inc_id, 0) + 1
        assert org.io_incidents[inc_id]["updated_at"] > iso_ms(before_time)

    replies = [m for m in change["new_messages"] if len(m) == 3]
    assert len(replies) == 4  # one in ten
    for cid, ts, *parent in change["new_messages"]:
        assert before_time < slack_ts_us(ts) / 1e6 <= org.data_time
        log = org.slack_logs[cid]
        if parent:
            top = log.find_top(parent[0])
            assert top is not None and ts in {r["ts"] for r in log.threads[parent[0]]}
            assert top["reply_count"] == len(log.threads[parent[0]])
        else:
            assert log.find_top(ts) is not None
    assert org.data_time == pytest.approx(before_time + 3600)


def test_typical_hour_over_http(fresh_org: Organisation) -> None:
    since = iso_ms(fresh_org.data_time)
    with SandboxServer(fresh_org) as server, httpx.Client(timeout=10) as http:
        env = server.env()
        wrong = http.post(server.base_url + "/_sandbox/mutate", params={"kind": "a day"})
        assert wrong.status_code == 400 and fresh_org.mutation_steps == []
        change = http.post(server.base_url + "/_sandbox/mutate", params={"kind": "typical_hour"}).json()
        assert change["kind"] == "typical_hour" and len(change["new_messages"]) == 100
        url = env["INCIDENTIO_BASE_URL"] + "/v2/incidents"
        query: dict[str, str | int] = {"page_size": 250, "updated_at[gte]": since}
        listed = http.get(url, params=query, headers=incidentio_headers(env)).json()["incidents"]
        assert {i["id"] for i in listed} == set(change["updated_incidents"])
        cid, ts = change["new_messages"][0]
        history = http.get(
            env["SLACK_BASE_URL"] + "conversations.history",
            params={"channel": cid, "oldest": str(slack_ts_us(ts) / 1e6 - 1)},
            headers={"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"},
        ).json()["messages"]
        assert ts in {m["ts"] for m in history}
