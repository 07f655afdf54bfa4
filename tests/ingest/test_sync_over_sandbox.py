"""The connectors against the sandbox over real HTTP: exact under faults, after changes, after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_support import (
    all_log_entries,
    assert_warehouse_matches,
    expected_ids,
    settings_for,
    warehouse_ids,
)

from pipelines.connectors import slack
from pipelines.connectors.common import parse_time
from pipelines.connectors.http import RequestStats
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sync import run_sync
from pipelines.sandbox.faults import FaultSpec
from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from pipelines.warehouse.raw_writer import RawWriter, connect_warehouse

# Over 10 % of requests fail: 429s in each API's own format, 5xx, timeouts, dropped connections and
# truncated bodies. Retry-After and the response delay are short so the test stays quick.
# A sync in its own process, as a host runs it (the CLI's start-up, dbt parse included, is not the subject).
SYNC_CHILD = Path(__file__).parent / "sync_child.py"
FAULTS = "429=0.05,500=0.04,timeout=0.02,drop=0.02,truncate=0.02,delay=1.5,retry_after=0.2,seed=11"


def sync(env, warehouse, full_refresh=False, sources=SOURCES, **overrides):
    settings = settings_for(env, warehouse, **overrides)
    con = connect_warehouse(warehouse)
    try:
        return run_sync(list(sources), settings, RawWriter(con), full_refresh=full_refresh)
    finally:
        con.close()


def test_a_full_sync_under_faults_gets_every_record_exactly_once(tmp_path):
    org = generate_organisation("small", seed=5)
    with SandboxServer(org, faults=FaultSpec.parse(FAULTS)) as server:
        summaries = sync(
            server.env(), tmp_path / "w.duckdb", full_refresh=True, incident_lake_http_timeout=0.5
        )
        stats = server.stats.snapshot()
    assert all(s.status == "ok" for s in summaries.values()), [s.line() for s in summaries.values()]
    assert_warehouse_matches(org, tmp_path / "w.duckdb")
    total = sum(s.stats.requests for s in summaries.values())
    retries = sum(s.stats.retries for s in summaries.values())
    assert retries >= 0.1 * (total - retries), f"{retries} retries of {total} requests"
    # Which requests fail depends on thread timing; over the four APIs some 429s always land.
    assert sum(s.stats.rate_limited for s in summaries.values()) > 0
    assert stats, "the sandbox counted the requests"


def test_changes_between_two_syncs_land_and_the_second_sync_is_cheaper(tmp_path):
    org = generate_organisation("small", seed=6)
    with SandboxServer(org) as server:
        first = sync(server.env(), tmp_path / "w.duckdb", full_refresh=True)
        before = warehouse_ids(tmp_path / "w.duckdb")
        changes = org.mutate()  # new incidents and messages, a late reply in an old thread, resolves, edits
        second = sync(server.env(), tmp_path / "w.duckdb")
        # An attachment deleted at the source does not move its incident: attachments of unchanged
        # incidents are re-checked 25 a sync, least recently checked first (docs/sync.md), so the 40
        # incidents of `small` are all re-checked by the next incremental sync.
        sync(server.env(), tmp_path / "w.duckdb")
    assert changes
    assert_warehouse_matches(org, tmp_path / "w.duckdb")
    assert warehouse_ids(tmp_path / "w.duckdb") != before
    for source in SOURCES:
        assert second[source].stats.requests < first[source].stats.requests, source
    assert sum(c.updated for c in second["pagerduty"].tables.values()) > 0  # a resolve was read again


def test_a_sync_killed_mid_way_and_run_again_ends_exact(tmp_path):
    org = generate_organisation("small", seed=8)
    warehouse = tmp_path / "w.duckdb"
    # The documented budgets, in time compressed 40x, make the sync last long enough to be killed.
    with SandboxServer(org, faults=FaultSpec.parse("budget=1,speed=40,retry_after=0.1")) as server:
        env = {**os.environ, **server.env(), "INCIDENT_LAKE_DB": str(warehouse)}
        process = subprocess.Popen(
            [sys.executable, str(SYNC_CHILD)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while server.stats.total("slack") < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
        assert server.stats.total("slack") >= 60, "the sync was killed mid-way through Slack"
    with SandboxServer(org) as server:
        summaries = sync(server.env(), warehouse)
    assert all(s.status == "ok" for s in summaries.values())
    assert_warehouse_matches(org, warehouse)


def test_the_non_marketplace_slack_profile_finishes_correctly(tmp_path):
    """1 request a minute (time compressed) and 15 messages a page: slower, same records."""
    org = generate_organisation("small", seed=9)
    channels = sorted(org.slack_logs)[:3]
    spec = FaultSpec.parse("slack=nonmarketplace,speed=600")
    with SandboxServer(org, faults=spec) as server:
        env = server.env()
        stats = RequestStats()
        client = slack.make_client(env["SLACK_BOT_TOKEN"], env["SLACK_BASE_URL"], stats)
        connector = slack.SlackConnector(client, stats, history_limit=15, replies_limit=15, concurrency=1)
        got = {row["id"] for _, batch in connector.messages(channels) for row in batch.rows}
    expected = {i for i in expected_ids(org)["slack_messages"] if i.split(":")[0] in channels}
    assert got == expected
    assert stats.rate_limited > 0, "the 1-a-minute limit was hit and waited out"


def test_wrong_credentials_fail_with_a_clear_error_per_source(tmp_path):
    org = generate_organisation("small", seed=5)
    with SandboxServer(org) as server:
        env = server.env()
        wrong = {
            **env,
            **{k: "wrong-credential-value" for k in env if k.endswith(("_KEY", "_TOKEN", "_SECRET"))},
        }
        summaries = sync(wrong, tmp_path / "w.duckdb", full_refresh=True)
    for source, summary in summaries.items():
        assert summary.status == "failed", source
        assert "401" in summary.error or "invalid_auth" in summary.error or "refused" in summary.error, (
            summary.error
        )


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)


def test_pagerduty_windows_too_full_for_the_offset_cap_are_split():
    """~37,000 log entries in one year-long window: offset + limit would pass 10,000, so it is halved."""
    from datetime import UTC, datetime, timedelta

    from pipelines.connectors import pagerduty

    org = generate_organisation("default", seed=3)
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(days=366)
    # The entries of the window read here (one day longer than the sync's lookback, so not those of
    # `expected_ids`: the sandbox's first days fall in or out of that day depending on the hour).
    expected = {e["id"] for e in all_log_entries(org) if start <= parse_time(e["created_at"]) < end}
    assert len(expected) > 10_000
    with SandboxServer(org) as server:
        env = server.env()
        client = pagerduty.make_client(env["PAGERDUTY_API_TOKEN"], env["PAGERDUTY_BASE_URL"])
        connector = pagerduty.PagerDutyConnector(client, window=timedelta(days=366))
        with client:
            got = [row["id"] for batch in connector.log_entries(start, end) for row in batch.rows]
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected
    # Split on the first page's `total`, not after paging to the cap: close to one request per 100.
    assert client.stats.by_endpoint["/log_entries"] <= len(expected) / 100 + 10


def _zoom_sync_with_tokens(tmp_path, ttl: float):
    """incident.io, then Zoom alone, under Zoom's documented budget (so the Zoom sync lasts seconds)."""
    org = generate_organisation("small", seed=4)
    with SandboxServer(org, faults="budget=1", zoom_token_ttl=ttl) as server:
        sync(server.env(), tmp_path / "w.duckdb", sources=("incidentio",))
        server.stats.reset()
        summaries = sync(server.env(), tmp_path / "w.duckdb", sources=("zoom",))
        statuses = server.stats.snapshot()["statuses"].get("zoom", {})
    return org, summaries["zoom"], statuses


def test_an_expired_zoom_token_is_replaced_mid_sync(tmp_path):
    # The sandbox says `expires_in: 1` but kills tokens after 0.3 s: the 401 gets a new token at once.
    org, zoom, statuses = _zoom_sync_with_tokens(tmp_path, 0.3)
    assert zoom.status == "ok", zoom.error
    assert zoom.seconds > 1, "the sync outlived a token"
    assert statuses.get("401", 0) > 0
    assert zoom.stats.by_endpoint["oauth/token"] > 1, "a new token was fetched after expiry"
    ids = warehouse_ids(tmp_path / "w.duckdb")["zoom_participants"]
    assert expected_ids(org)["zoom_participants"] <= ids


def test_a_short_lived_zoom_token_is_refreshed_before_it_expires_once_per_lifetime(tmp_path):
    # `expires_in: 2`: replaced shortly before it runs out (never a 401), not once per request.
    _, zoom, statuses = _zoom_sync_with_tokens(tmp_path, 2.0)
    assert zoom.status == "ok", zoom.error
    fetched, requests = zoom.stats.by_endpoint["oauth/token"], zoom.stats.requests
    assert zoom.seconds > 2, "the sync outlived a token"
    assert statuses.get("401", 0) == 0, "the token was replaced before it expired"
    assert 1 < fetched <= zoom.seconds / 1.8 + 1, (fetched, zoom.seconds)
    assert fetched < requests / 5, (fetched, requests)


def test_client_budgets_keep_a_budgeted_sandbox_from_answering_429(tmp_path):
    """The sandbox enforces each API's documented budget (time compressed 60×); the client's own budgets,
    scaled to match through the env the sandbox gives out, keep every request inside it."""
    org = generate_organisation("small", seed=7)
    with SandboxServer(org, faults="budget=1,speed=60") as server:
        env = server.env()
        assert env["INCIDENT_LAKE_RATE_SCALE"] == "60"
        summaries = sync(env, tmp_path / "paced.duckdb", full_refresh=True)
        paced = server.stats.snapshot()
        server.stats.reset()
        # The same sync with the client budgets off runs into the sandbox's limits (Slack's per-method tiers).
        unpaced_summaries = sync(
            env, tmp_path / "unpaced.duckdb", full_refresh=True, incident_lake_rate_scale=0
        )
        unpaced = server.stats.snapshot()
    assert all(s.status == "ok" for s in summaries.values()), [s.line() for s in summaries.values()]
    assert_warehouse_matches(org, tmp_path / "paced.duckdb")
    assert sum(s.stats.rate_limited for s in summaries.values()) == 0
    assert not any(f.get("budget") for f in paced["faults"].values()), paced["faults"]
    assert all(s.status == "ok" for s in unpaced_summaries.values())
    assert sum(f.get("budget", 0) for f in unpaced["faults"].values()) > 0, "the test can fail"


def test_raw_rows_match_the_totals_the_apis_report(tmp_path):
    import dagster as dg

    from pipelines.defs.ingest.checks import TABLES_WITH_API_TOTALS, api_total_evidence, evaluate_raw_check
    from pipelines.warehouse.raw_tables import RAW_TABLES_BY_NAME

    org = generate_organisation("small", seed=8)
    warehouse = tmp_path / "w.duckdb"
    with SandboxServer(org) as server:
        sync(server.env(), warehouse, full_refresh=True, sources=("incidentio", "pagerduty"))
        with duckdb_connect(warehouse) as con:
            full = {t: api_total_evidence(con, RAW_TABLES_BY_NAME[t]) for t in TABLES_WITH_API_TOTALS}
        counts = org.counts()
        org.mutate()
        sync(server.env(), warehouse, sources=("incidentio", "pagerduty"))
    assert full["incidentio_incidents"]["api_total"] == counts["incidentio_incidents"]
    assert full["pagerduty_incidents"]["api_total"] == counts["pagerduty_incidents"]
    assert full["pagerduty_log_entries"]["api_total"] == counts["pagerduty_log_entries"]
    assert all(e["difference"] == 0 for e in full.values()), full
    with duckdb_connect(warehouse) as con:
        incremental = {t: api_total_evidence(con, RAW_TABLES_BY_NAME[t]) for t in TABLES_WITH_API_TOTALS}
        assert all(e["difference"] == 0 for e in incremental.values()), incremental
        assert "updated_at in [" in incremental["incidentio_incidents"]["range"]  # only what changed
        # A row lost from the warehouse: the check fails, and says by how much.
        con.execute(
            "DELETE FROM raw.pagerduty_incidents WHERE id = "
            "(SELECT id FROM raw.pagerduty_incidents ORDER BY created_at DESC LIMIT 1)"
        )
    with duckdb_connect(warehouse) as con:
        ok, broken = (
            evaluate_raw_check(con, dg.AssetCheckKey(dg.AssetKey(["raw", table]), "matches_api_total"))
            for table in ("incidentio_incidents", "pagerduty_incidents")
        )
    assert ok.passed
    assert not broken.passed and broken.metadata["difference"].value == -1


def duckdb_connect(path):
    import duckdb

    return duckdb.connect(str(path))
