"""The whole pipeline through the real CLI, on the small sandbox over HTTP, checked against the
generator's own truth (computed in Python, without SQL)."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections import defaultdict
from datetime import date

import duckdb
import pytest
from e2e_support import clean_env, raw_counts, rows, run_cli

from tests.oracle import truth

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_fct_incidents_matches_the_generator_truth(pipeline):
    facts = truth.incident_facts(pipeline["org"])
    marts = {r["incident_id"]: r for r in rows(pipeline["con"], "SELECT * FROM marts.fct_incidents")}
    assert set(marts) == set(facts)  # every mode, nothing lost, nothing duplicated
    columns = [
        "reference", "mode", "status_category", "severity_name", "incident_type", "created_at", "reported_at",
        "impact_started_at", "fixed_at", "resolved_at", "closed_at", "lead_email", "slack_channel_id",
        "zoom_meeting_id", "pagerduty_incident_id", "is_in_metrics",
    ]  # fmt: skip
    for incident_id, fact in facts.items():
        row = marts[incident_id]
        for column in columns:
            assert row[column] == getattr(fact, column), (incident_id, column)
        for column in ("time_to_resolve_seconds", "time_to_mitigate_seconds"):
            expected = getattr(fact, column)
            assert (row[column] is None) == (expected is None), (incident_id, column)
            if expected is not None:
                assert row[column] == pytest.approx(expected, abs=1e-3), (incident_id, column)


def test_the_sandbox_plants_the_traps_the_marts_must_handle(pipeline):
    facts = truth.incident_facts(pipeline["org"]).values()
    assert {f.mode for f in facts} >= {"standard", "retrospective", "test", "tutorial"}
    assert any(f.has_invalid_timestamps for f in facts)
    assert any(f.pagerduty_incident_id for f in facts)
    assert any(f.severity_name is None and f.is_in_metrics for f in facts)


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (quantile_cont / percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_metrics_mttr_matches_python_over_the_truth(pipeline):
    groups: dict[tuple[date, str | None], list] = defaultdict(list)
    for fact in truth.incident_facts(pipeline["org"]).values():
        if fact.is_in_metrics:
            month = fact.reported_at.date().replace(day=1)
            groups[(month, fact.severity_name)].append(fact)
    marts = {
        (r["month"], r["severity_name"]): r for r in rows(pipeline["con"], "SELECT * FROM marts.metrics_mttr")
    }
    assert set(marts) == set(groups)
    for key, members in groups.items():
        row = marts[key]
        durations = [f.time_to_resolve_seconds for f in members if f.time_to_resolve_seconds is not None]
        assert row["incident_count"] == len(members), key
        assert row["resolved_count"] == sum(1 for f in members if f.resolved_at is not None), key
        if durations:
            assert row["mttr_mean_seconds"] == pytest.approx(statistics.fmean(durations), abs=1e-3)
            assert row["mttr_median_seconds"] == pytest.approx(_percentile(durations, 0.5), abs=1e-3)
            assert row["mttr_p90_seconds"] == pytest.approx(_percentile(durations, 0.9), abs=1e-3)
        else:
            assert row["mttr_median_seconds"] is None


def test_a_second_run_changes_no_counts(pipeline):
    assert raw_counts(pipeline["tmp"] / "warehouse.duckdb") == pipeline["counts_after_first"]
    assert all(count > 0 for count in pipeline["counts_after_first"].values())


def test_export_manifest_matches_files_and_marts(pipeline):
    export_dir = pipeline["tmp"] / "exports"
    manifest = json.loads((export_dir / "manifest.json").read_text())
    models = manifest["models"]
    assert {"fct_incidents", "metrics_mttr"} <= set(models)
    for name, entry in models.items():
        marts_count = pipeline["con"].execute(f"SELECT count(*) FROM marts.{name}").fetchall()[0][0]
        assert entry["row_count"] == marts_count, name
        files = entry["files"]
        assert files, name
        for file in files:
            path = export_dir / file["path"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == file["sha256"], path
        parquet_glob = str(export_dir / name / "**" / "*.parquet")
        with duckdb.connect() as con:
            assert (
                con.execute(f"SELECT count(*) FROM read_parquet('{parquet_glob}')").fetchall()[0][0]
                == marts_count
            )


def test_secrets_never_reach_the_warehouse_the_exports_or_the_output(pipeline):
    secrets = [s.encode() for s in pipeline["secrets"]]
    assert all(len(s) >= 16 for s in secrets)
    files = [p for p in pipeline["tmp"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"a secret is in {path}"
    for secret in pipeline["secrets"]:
        assert secret not in pipeline["outputs"]


def test_sync_without_any_source_fails_with_one_clear_line(tmp_path):
    result = run_cli("sync", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "no source is configured" in lines[0] and "PAGERDUTY_API_TOKEN" in lines[0]


def test_build_without_a_warehouse_says_what_to_run(tmp_path):
    result = run_cli("build", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    assert "incident-lake sync" in result.stderr


# Its own xdist group (the module's mark joins it, so the group is "demo-defaults_e2e"): it needs no
# `pipeline`, so another worker may run it while one runs the group "e2e".
@pytest.mark.xdist_group("demo-defaults")
def test_demo_with_defaults_writes_marts_and_export(tmp_path):
    env = clean_env(tmp_path)
    for name in ("INCIDENT_LAKE_DB", "INCIDENT_LAKE_EXPORT_DIR"):
        env.pop(name)  # the documented defaults, relative to the working directory
    result = run_cli("demo", "--size", "small", "--no-dashboard", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "data" / "exports" / "manifest.json").exists()
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_incidents").fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM marts.metrics_mttr").fetchall()[0][0] > 0


def test_the_hourly_schedule_runs_every_asset_it_requests_in_process(pipeline):
    scheduled = pipeline["scheduled"]
    assert scheduled["success"]
    assert scheduled["materialized"] == scheduled["selected"]
    groups = {key.path[0] for key in scheduled["selected"]}
    assert {"raw", "staging", "intermediate", "marts", "published", "exports"} <= groups
    incidents = pipeline["con"].execute("SELECT count(*) FROM marts.fct_incidents").fetchall()[0][0]
    assert incidents == len(pipeline["org"].io_incidents)
