"""The marts of teams, custom fields, post-mortems and on-call against the generator's truth.

The `pipeline` fixture (conftest.py) runs the real CLI on the small sandbox; each mart is read back and
compared with `tests.oracle.truth` (plain Python over the generator's records, no SQL): ids and counts
exactly, hours and medians within float tolerance. Values "as of the build" (on-call hours) are computed
by the oracle at the build time read back from the warehouse (`e2e_support.build_time_of`), which must
fall within the fixture's run. A mart not built yet skips, naming it (`e2e_support.require_mart`).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from e2e_support import build_time_of, clean_env, raw_counts, require_mart, rows, run_cli

from pipelines.sandbox.generator import generate_organisation
from pipelines.sandbox.server import SandboxServer
from tests.dbt_runner import dbt_build
from tests.oracle import truth

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ABS = 1e-4  # hours, seconds, days: the float tolerance of every comparison here


def _approx(expected: float | None) -> object:
    return None if expected is None else pytest.approx(expected, abs=ABS)


def _built_at(pipeline: dict) -> datetime:
    """The warehouse's build time, checked to lie within the fixture's run; the run's start when no
    shift was running then (every shift's hours are then the same at any instant of the run)."""
    low, high = pipeline["built_between"]
    built = build_time_of(pipeline["con"])
    if built is None:
        return low
    assert low - timedelta(seconds=1) <= built <= high, (low, built, high)
    return built


def _mart(con, name: str) -> list[dict]:
    return rows(con, f"SELECT * FROM marts.{name}")


# What identifies a shift and a page (their ids are the warehouse's own).
SHIFT_KEY = ("source", "schedule_id", "escalation_level", "person_email", "start_at", "end_at")
PAGE_KEY = ("source", "person_email", "notified_at", "pagerduty_incident_id", "escalation_id")
FIELD_VALUE_COLUMNS = (
    "incident_id", "custom_field_id", "custom_field_name", "field_type", "value", "catalog_entry_id",
)  # fmt: skip


# ------------------------------------------------------------------------------------------------ teams
def test_dim_teams_and_members_are_the_union_of_both_tools(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "dim_teams", "team_id", "member_count")
    require_mart(con, "dim_team_members", "team_id", "person_email")
    expected = truth.teams(org)
    marts = {r["team_id"]: r for r in _mart(con, "dim_teams")}
    assert set(marts) == set(expected)
    for team_id, fact in expected.items():
        row = marts[team_id]
        assert row["team_name"] == fact.team_name, team_id
        assert row["incidentio_team_id"] == fact.incidentio_team_id, team_id
        assert row["pagerduty_team_id"] == fact.pagerduty_team_id, team_id
        assert row["member_count"] == fact.member_count, team_id
    members = Counter((r["team_id"], r["person_email"]) for r in _mart(con, "dim_team_members"))
    assert members == Counter((t.team_id, email) for t in expected.values() for email in t.members)
    # The traps: twins spelled differently, a PagerDuty-only team, a team in incident.io only.
    assert any(t.incidentio_team_id and t.pagerduty_team_id for t in expected.values())
    assert any(t.incidentio_team_id is None for t in expected.values())
    assert any(t.pagerduty_team_id is None for t in expected.values())


def test_fct_incident_teams_attribute_by_custom_field_then_pagerduty(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_incident_teams", "attributed_by")
    expected = Counter(
        (incident_id, team_id, how)
        for incident_id, found in truth.incident_teams(org).items()
        for team_id, how in found.items()
    )
    actual = Counter(
        (r["incident_id"], r["team_id"], r["attributed_by"]) for r in _mart(con, "fct_incident_teams")
    )
    assert actual == expected
    assert {how for _, _, how in expected} == {"custom_field", "pagerduty"}
    assert any(n > 1 for n in Counter(i for i, _, _ in expected).values()), "no incident with two teams"


def test_fct_incident_field_values_hold_a_row_per_value(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_incident_field_values", "value_numeric", "catalog_entry_id")
    facts = truth.field_values(org)
    columns = (
        "incident_id",
        "custom_field_id",
        "custom_field_name",
        "field_type",
        "value",
        "catalog_entry_id",
    )
    actual = _mart(con, "fct_incident_field_values")
    assert Counter(tuple(r[c] for c in columns) for r in actual) == Counter(
        tuple(getattr(f, c) for c in columns) for f in facts
    )
    numeric = {(f.incident_id, f.custom_field_id, f.value): f.value_numeric for f in facts}
    for r in actual:
        assert r["value_numeric"] == _approx(numeric[(r["incident_id"], r["custom_field_id"], r["value"])]), r
    # Multi-select options, catalog values and decimals are all there.
    assert any(f.field_type == "multi_select" and f.catalog_entry_id for f in facts)
    assert any(f.value_numeric is not None and not f.value_numeric.is_integer() for f in facts)


def test_metrics_mttr_by_team_matches_python(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "metrics_mttr_by_team", "mttr_p90_seconds")
    expected = truth.mttr_by_team(org)
    marts = {(r["month"], r["team_id"], r["severity_name"]): r for r in _mart(con, "metrics_mttr_by_team")}
    assert set(marts) == set(expected)
    for key, (team_name, group) in expected.items():
        row = marts[key]
        assert row["team_name"] == team_name, key
        assert row["incident_count"] == group.incident_count, key
        assert row["resolved_count"] == group.resolved_count, key
        assert row["mttr_mean_seconds"] == _approx(group.mean_seconds), key
        assert row["mttr_median_seconds"] == _approx(group.median_seconds), key
        assert row["mttr_p90_seconds"] == _approx(group.p90_seconds), key
    assert any(team_id is None for _, team_id, _ in expected), "no group of incidents without a team"


def test_metrics_team_workload_sums_the_members_workload(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "metrics_team_workload", "workload_minutes", "sleep_hour_page_count")
    expected = truth.team_workload(org)
    marts = {(r["team_id"], r["week"]): r for r in _mart(con, "metrics_team_workload")}
    assert set(marts) == set(expected)
    for key, values in expected.items():
        row = marts[key]
        for column in ("member_count", "incident_count", "page_count", "sleep_hour_page_count"):
            assert row[column] == values[column], (key, column)
        assert row["workload_minutes"] == pytest.approx(values["workload_minutes"], abs=1e-3), key


# ---------------------------------------------------------------------------------------- post-mortems
def test_fct_postmortems_take_completion_from_updated_at(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_postmortems", "completed_at")
    marts = {r["postmortem_id"]: r for r in _mart(con, "fct_postmortems")}
    assert set(marts) == {d["id"] for d in org.io_postmortems}
    for doc in org.io_postmortems:
        row = marts[doc["id"]]
        assert row["incident_id"] == doc["incident_id"]
        assert row["status"] == doc["status"]
        assert row["document_type"] == doc["type"]
        assert row["created_at"] == truth.parse_time(doc["created_at"])
        assert row["updated_at"] == truth.parse_time(doc["updated_at"])
        completed = truth.parse_time(doc["updated_at"]) if doc["status"] == "completed" else None
        assert row["completed_at"] == completed, doc["id"]


def test_metrics_post_incident_matches_python(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "metrics_post_incident", "median_days_to_follow_up_completed")
    expected = truth.post_incident(org)
    marts = {(r["month"], r["severity_name"]): r for r in _mart(con, "metrics_post_incident")}
    assert set(marts) == set(expected)
    for key, group in expected.items():
        row = marts[key]
        for column in (
            "resolved_count", "postmortem_count", "postmortem_completed_count", "follow_up_count",
            "follow_up_completed_count",
        ):  # fmt: skip
            assert row[column] == getattr(group, column), (key, column)
        for column in ("median_hours_to_postmortem_completed", "median_days_to_follow_up_completed"):
            assert row[column] == _approx(getattr(group, column)), (key, column)
    # The document completed before its incident was resolved counts as completed, not in the median.
    early = [p for p in truth.postmortems(org).values() if p.completed_count and p.hours_to_completed is None]
    assert early, "the sandbox plants a document completed before resolution"


# --------------------------------------------------------------------------------------------- on-call
def test_fct_oncall_shifts_hold_both_sources_with_hours_as_of_the_build(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_oncall_shifts", "sleep_hours")
    built = _built_at(pipeline)
    start = datetime.fromtimestamp(org.rotation_start(), UTC) - timedelta(days=1)

    shifts = truth.oncall_shifts(org, start, org.anchor + timedelta(days=90))
    every = {tuple(getattr(s, c) for c in SHIFT_KEY): s for s in shifts}
    actual = _mart(con, "fct_oncall_shifts")
    found = Counter(tuple(r[c] for c in SHIFT_KEY) for r in actual)
    # Every shift that began before the build is there once; later ones only as far as the sync looked.
    past = Counter(k for k, s in every.items() if s.start_at <= pipeline["built_between"][0])
    assert found - Counter(every.keys()) == Counter(), "shifts the generator does not hold"
    assert past - found == Counter(), "shifts that began before the build are missing"
    assert max(found.values()) == 1
    assert {s for s, *_ in found} == {"pagerduty", "incidentio"}
    for r in actual:
        shift = every[tuple(r[c] for c in SHIFT_KEY)]
        hours = truth.shift_hours(org, shift, built)
        for column, value in zip(("hours", "business_hours", "off_hours", "sleep_hours"), hours, strict=True):
            assert r[column] == pytest.approx(value, abs=ABS), (r["shift_id"], column)
        assert r["hours"] == pytest.approx(r["business_hours"] + r["off_hours"] + r["sleep_hours"], abs=ABS)


def test_fct_pages_deduplicate_both_sources_within_60_seconds(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_pages", "during_oncall_shift")
    expected = truth.pages(org)

    def key(page: dict) -> tuple:
        return tuple(page[c] for c in PAGE_KEY)

    by_key = {key(vars(p)): p for p in expected}
    assert len(by_key) == len(expected)
    actual = _mart(con, "fct_pages")
    assert Counter(key(r) for r in actual) == Counter(by_key.keys())
    assert len({r["page_id"] for r in actual}) == len(actual)
    for r in actual:
        page = by_key[key(r)]
        for column in ("urgency", "incident_id", "acknowledged_at", "is_sleep_hour", "during_oncall_shift"):
            assert r[column] == getattr(page, column), (key(r), column)
    # The traps: both sources, pages outside any shift, repeats within a minute folded into one page.
    assert {p.source for p in expected} == {"pagerduty", "incidentio"}
    assert any(not p.during_oncall_shift for p in expected)
    notified = sum(
        len(event["users"])
        for escalation in org.io_escalations
        for event in escalation["events"]
        if event["event"] == "notified_users"
    )
    assert notified > sum(1 for p in expected if p.source == "incidentio")


def test_metrics_oncall_burden_is_the_union_of_shifts_and_the_pages(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "metrics_oncall_burden", "pages_outside_shift_count")
    expected = truth.oncall_burden(org, _built_at(pipeline))
    marts = {(r["person_email"], r["week"]): r for r in _mart(con, "metrics_oncall_burden")}
    assert set(marts) == set(expected)
    for key, row in marts.items():
        for column in truth.BURDEN_PAGES:
            assert row[column] == expected[key][column], (key, column)
        for column in truth.BURDEN_HOURS:
            assert row[column] == pytest.approx(expected[key][column], abs=ABS), (key, column)
    assert any(r["oncall_hours"] > 0 for r in marts.values())
    assert any(r["pages_outside_shift_count"] for r in marts.values())


def test_fct_incidents_first_alert_and_time_to_declare(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_incidents", "first_alert_at", "time_to_declare_seconds")
    first, declare = truth.first_alert_at(org), truth.time_to_declare(org)
    marts = {r["incident_id"]: r for r in _mart(con, "fct_incidents")}
    for incident_id, row in marts.items():
        assert row["first_alert_at"] == first.get(incident_id), incident_id
        assert row["time_to_declare_seconds"] == _approx(declare.get(incident_id)), incident_id
    assert first, "no incident with an alert"


# ------------------------------------------------------------------------ a key without these permissions
# A cautious key (no Catalog, post-mortem, attachment, action or follow-up access; no PagerDuty
# on-calls) on an account without incident.io On-call: docs/sync.md, missing permissions.
RESTRICTED = "profile=restricted_key,profile=no_oncall"
SECOND_WAVE_MARTS = (
    "dim_teams", "dim_team_members", "fct_incident_field_values", "fct_incident_teams",
    "metrics_mttr_by_team", "metrics_team_workload", "fct_postmortems", "metrics_post_incident",
    "fct_oncall_shifts", "fct_pages", "metrics_oncall_burden",
)  # fmt: skip


# Its own xdist group (the module's mark joins it, so the group is "e2e_restricted-key"): it needs no
# `pipeline`, so another worker may run it while one runs the group "e2e".
@pytest.mark.xdist_group("restricted-key")
def test_a_restricted_key_without_on_call_syncs_the_rest_and_builds(tmp_path):
    org = generate_organisation("small", seed=11)
    with SandboxServer(org, faults=RESTRICTED) as server:
        env = {**clean_env(tmp_path), **server.env()}
        result = run_cli("sync", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    warehouse = tmp_path / "warehouse.duckdb"
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("warning:")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        skipped = {
            (source, entity): (code, message)
            for source, entity, code, message in con.execute(
                "SELECT source, entity, status_code, message FROM meta.skipped_entities"
            ).fetchall()
        }
    # One warning line per source that skipped something, naming each entity it skipped.
    by_source: dict[str, set[str]] = {}
    for source, entity in skipped:
        by_source.setdefault(source, set()).add(entity)
    assert {"incidentio", "pagerduty"} <= set(by_source), skipped
    assert len(warnings) == len(by_source), warnings
    for source, entities in by_source.items():
        (line,) = [w for w in warnings if source in w]
        assert all(entity in line for entity in entities), (line, entities)
    for wanted in ("catalog", "postmortem", "schedule", "escalation", "alert"):
        assert any(wanted in e for s, e in skipped if s == "incidentio"), (wanted, sorted(skipped))
    assert ("pagerduty", "oncalls") in skipped
    assert all(code in (403, 404) and message for code, message in skipped.values()), skipped
    # Everything else landed.
    counts = raw_counts(warehouse)
    for table in ("incidentio_incidents", "incidentio_teams", "pagerduty_incidents", "slack_messages"):
        assert counts.get(table, 0) > 0, table
    for table in ("incidentio_postmortem_documents", "incidentio_schedule_entries", "pagerduty_oncalls"):
        assert counts.get(table, 0) == 0, table

    # The new marts (and what they read) build on what there is: models and seeds; tests run elsewhere.
    run = dbt_build(
        tmp_path,
        {"INCIDENT_LAKE_DB": str(warehouse)},
        "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
        "--select", " ".join(f"+{m}" for m in (*SECOND_WAVE_MARTS, "fct_skipped_entities")),
    )  # fmt: skip
    assert run.returncode == 0, run.output[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def count(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        for mart in SECOND_WAVE_MARTS:
            require_mart(con, mart)
        for mart in ("fct_postmortems", "fct_oncall_shifts"):
            assert count(f"SELECT count(*) FROM marts.{mart}") == 0, mart
        assert count("SELECT count(*) FROM marts.metrics_post_incident WHERE postmortem_count > 0") == 0
        assert count("SELECT count(*) FROM marts.metrics_post_incident") > 0
        # PagerDuty's pages remain, none during a shift nobody could read.
        assert count("SELECT count(*) FROM marts.fct_pages WHERE source = 'pagerduty'") > 0
        assert count("SELECT count(*) FROM marts.fct_pages WHERE source <> 'pagerduty'") == 0
        assert count("SELECT count(*) FROM marts.fct_pages WHERE during_oncall_shift") == 0
        assert count("SELECT count(*) FROM marts.metrics_oncall_burden WHERE oncall_hours > 0") == 0
        # The teams endpoint stays readable.
        assert count("SELECT count(*) FROM marts.dim_teams") == len(truth.teams(org))
        assert count("SELECT count(*) FROM marts.metrics_mttr_by_team") > 0
        # Data health's list of what was skipped is the sync's.
        listed = con.execute(
            "SELECT source, entity, status_code, message FROM marts.fct_skipped_entities"
        ).fetchall()
        assert {(s, e): (c, m) for s, e, c, m in listed} == skipped


def test_data_coverage_counts_the_pages_acknowledged(pipeline):
    con, org = pipeline["con"], pipeline["org"]
    require_mart(con, "fct_pages")
    found = {
        (r["metric_name"], r["coverage_status"]): r["n"]
        for r in rows(
            con,
            "SELECT metric_name, coverage_status, sum(incident_count) AS n FROM marts.metrics_data_coverage "
            "WHERE metric_name = 'page_time_to_ack' GROUP BY ALL",
        )
    }
    assert found, "metrics_data_coverage has no page_time_to_ack rows"
    pages = truth.pages(org)
    assert found.get(("page_time_to_ack", "computable"), 0) == sum(1 for p in pages if p.acknowledged_at)
    assert found.get(("page_time_to_ack", "never_acknowledged"), 0) == sum(
        1 for p in pages if p.acknowledged_at is None
    )
    assert sum(n for (m, _), n in found.items() if m == "page_time_to_ack") == len(pages)
