"""`dbt build` of the team, custom-field and post-incident marts on hand-written raw rows (API shapes).

The dbt unit tests check each rule on mocked inputs; this builds the real chain from `raw.*` (JSON
extraction, deletions, the joins between the layers) on a temporary DuckDB warehouse, twice:

- `full`: every entity synced;
- `no_catalog`: a key without Catalog or post-mortem permission, so `raw.incidentio_teams`, the catalog
  and the post-mortem documents are empty (the entities were skipped): the marts still build, teams come
  from PagerDuty alone and incidents are attributed through their PagerDuty incident.

Every expected value below is computed by hand from the rows in this file (docs/metrics.md#teams,
#custom-fields, #post-mortems).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.warehouse.raw_tables import RAW_TABLES, RAW_TABLES_BY_NAME
from tests.dbt_runner import DbtRun, dbt_build

# Two dbt builds (module-scoped fixtures): keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("dbt_teams_build")

Record = dict[str, Any]
SYNCED_AT = datetime(2024, 4, 2, tzinfo=UTC)
MARTS = (
    "+dim_team_members +fct_incident_field_values +metrics_mttr_by_team +metrics_team_workload "
    "+metrics_post_incident"
)
CLOSED = {"id": "st_closed", "name": "Closed", "category": "closed", "rank": 6}
MAJOR = {"id": "sev_major", "name": "Major", "rank": 1}
MINOR = {"id": "sev_minor", "name": "Minor", "rank": 0}


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _field(field_id: str, name: str, field_type: str, values: list[Record]) -> Record:
    return {"custom_field": {"id": field_id, "name": name, "field_type": field_type}, "values": values}


def _entry(entry_id: str, name: str) -> Record:
    return {"value_catalog_entry": {"id": entry_id, "name": name, "aliases": [], "external_id": None}}


def _incident(
    number: int,
    *,
    mode: str = "standard",
    severity: Record,
    reported: str,
    resolved: str,
    fields: list[Record],
) -> Record:
    return {
        "id": f"inc_{number:02d}",
        "reference": f"INC-{number}",
        "name": f"incident {number}",
        "mode": mode,
        "incident_status": CLOSED,
        "severity": severity,
        "created_at": reported,
        "updated_at": resolved,
        "slack_channel_id": "",
        "incident_role_assignments": [],
        "custom_field_entries": fields,
        "incident_timestamp_values": [
            {
                "incident_timestamp": {"id": "ts_rep", "name": "Reported at", "rank": 0},
                "value": {"value": reported},
            },
            {
                "incident_timestamp": {"id": "ts_res", "name": "Resolved at", "rank": 5},
                "value": {"value": resolved},
            },
        ],
    }


TEAM_FIELD = ("cf_team", "Affected team", "multi_select")
INCIDENTS = [
    # 1: two teams in "Affected team", core platform again in "Owner": custom_field for core and growth;
    #    its PagerDuty incident's team (Data) is not used. Numeric, option, link rows; empty notes: no row.
    _incident(
        1,
        severity=MAJOR,
        reported="2024-03-04T10:00:00.000Z",
        resolved="2024-03-04T11:00:00.000Z",
        fields=[
            _field(*TEAM_FIELD, [_entry("ce_core", "core platform"), _entry("ce_growth", "Growth ")]),
            _field("cf_owner", "Owner", "single_select", [_entry("ce_core", "core platform")]),
            _field("cf_customers", "Customers affected", "numeric", [{"value_numeric": "12.5"}]),
            _field(
                "cf_cause", "Root cause", "single_select", [{"value_option": {"id": "o1", "value": "Deploy"}}]
            ),
            _field(
                "cf_status",
                "Status page",
                "link",
                [{"value_link": "https://status.acme.example/incidents/x1"}],
            ),
            _field("cf_notes", "Root cause notes", "text", []),
        ],
    ),
    # 2: no team, a service entry only: attributed through PagerDuty incident PD2 (Core Platform; PT9 is no
    #    known team). Reported Sunday 23:30 UTC: the ISO week of Monday March 4.
    _incident(
        2,
        severity=MINOR,
        reported="2024-03-10T23:30:00.000Z",
        resolved="2024-03-11T00:30:00.000Z",
        fields=[_field("cf_service", "Affected service", "single_select", [_entry("ce_svc", "checkout")])],
    ),
    # 3: no team and no PagerDuty link: the null team group.
    _incident(
        3, severity=MAJOR, reported="2024-03-11T09:00:00.000Z", resolved="2024-03-11T09:30:00.000Z", fields=[]
    ),
    # 4: a test incident: attributed (every mode) but in no metric.
    _incident(
        4,
        mode="test",
        severity=MAJOR,
        reported="2024-03-12T09:00:00.000Z",
        resolved="2024-03-12T10:00:00.000Z",
        fields=[_field(*TEAM_FIELD, [_entry("ce_mobile", "Mobile")])],
    ),
]


def _member(name: str, email: str) -> Record:
    return {"id": f"usr_{name}", "name": name, "email": email, "slack_user_id": f"U_{name}"}


def _team(team_id: str, name: str, entry_id: str, members: list[Record]) -> Record:
    return {"id": team_id, "name": name, "members": members, "catalog_entry": {"id": entry_id, "name": name}}


IO_TEAMS = [
    _team(
        "t_core", "core platform", "ce_core", [_member("ann", "Ann@Acme.IO"), _member("bob", "bob@acme.io")]
    ),
    _team("t_growth", "Growth ", "ce_growth", [_member("cy", "cy@acme.io")]),
    _team("t_mobile", "Mobile", "ce_mobile", []),
]
DELETED_IO_TEAM = _team("t_old", "Old", "ce_old", [_member("ann", "ann@acme.io")])
PD_TEAMS = [
    {"id": "PT1", "type": "team", "name": "Core Platform", "summary": "Core Platform"},
    {"id": "PT2", "type": "team", "name": "Growth", "summary": "Growth"},
    {"id": "PT3", "type": "team", "name": "Data", "summary": "Data"},
]


def _team_ref(team_id: str) -> Record:
    return {"id": team_id, "type": "team_reference", "summary": team_id}


PD_USERS = [
    {"id": "PU_ann", "name": "Ann", "email": "ann@acme.io", "time_zone": "UTC", "teams": [_team_ref("PT1")]},
    {
        "id": "PU_dee",
        "name": "Dee",
        "email": "Dee@acme.io",
        "time_zone": "UTC",
        "teams": [_team_ref("PT1"), _team_ref("PT3")],
    },
]
PD_INCIDENTS = [
    {"id": "PD1", "created_at": "2024-03-04T09:58:00Z", "teams": [_team_ref("PT3")]},
    {"id": "PD2", "created_at": "2024-03-10T23:28:00Z", "teams": [_team_ref("PT1"), _team_ref("PT9")]},
]
ATTACHMENTS = [
    {
        "id": f"att_{n}",
        "incident_id": f"inc_0{n}",
        "resource": {"external_id": f"PD{n}", "resource_type": "pager_duty_incident"},
    }
    for n in (1, 2)
]
POSTMORTEMS = [
    # inc_01: completed 24 h after its resolution; a second document still in progress.
    {
        "id": "pm1",
        "incident_id": "inc_01",
        "status": "completed",
        "type": "in_app",
        "created_at": "2024-03-04T12:00:00Z",
        "updated_at": "2024-03-05T11:00:00Z",
    },
    {
        "id": "pm2",
        "incident_id": "inc_01",
        "status": "in_progress",
        "type": "external",
        "created_at": "2024-03-04T12:00:00Z",
        "updated_at": "2024-03-06T11:00:00Z",
    },
    # inc_02: completed 30 minutes before it was resolved: left out of the median.
    {
        "id": "pm3",
        "incident_id": "inc_02",
        "status": "completed",
        "type": "in_app",
        "created_at": "2024-03-10T23:40:00Z",
        "updated_at": "2024-03-11T00:00:00Z",
    },
]
DELETED_POSTMORTEM = {
    "id": "pm4",
    "incident_id": "inc_03",
    "status": "completed",
    "type": "in_app",
    "created_at": "2024-03-11T10:00:00Z",
    "updated_at": "2024-03-11T12:00:00Z",
}
FOLLOW_UPS = [
    {
        "id": "fu1",
        "incident_id": "inc_01",
        "title": "Add alert",
        "status": "completed",
        "created_at": "2024-03-04T12:00:00Z",
        "completed_at": "2024-03-06T12:00:00Z",
        "updated_at": "2024-03-06T12:00:00Z",
    },
    {
        "id": "fu2",
        "incident_id": "inc_01",
        "title": "Runbook",
        "status": "outstanding",
        "created_at": "2024-03-04T12:00:00Z",
        "updated_at": "2024-03-04T12:00:00Z",
    },
    {
        "id": "fu3",
        "incident_id": "inc_02",
        "title": "Retry",
        "status": "completed",
        "created_at": "2024-03-11T01:00:00Z",
        "completed_at": "2024-03-12T01:00:00Z",
        "updated_at": "2024-03-12T01:00:00Z",
    },
]


def _rows(with_catalog: bool) -> dict[str, list[tuple[Record, Record, datetime | None]]]:
    """Per raw table: (typed key columns, API record, _deleted_at)."""
    live: datetime | None = None
    gone = datetime(2024, 4, 1, tzinfo=UTC)
    rows: dict[str, list[tuple[Record, Record, datetime | None]]] = {
        "incidentio_incidents": [
            ({"id": r["id"], "updated_at": _ts(r["updated_at"]), "zoom_meeting_id": None}, r, live)
            for r in INCIDENTS
        ],
        "incidentio_incident_attachments": [
            ({"id": r["id"], "incident_id": r["incident_id"]}, r, live) for r in ATTACHMENTS
        ],
        "incidentio_follow_ups": [
            ({"id": r["id"], "incident_id": r["incident_id"], "updated_at": _ts(r["updated_at"])}, r, live)
            for r in FOLLOW_UPS
        ],
        "pagerduty_teams": [({"id": r["id"]}, r, live) for r in PD_TEAMS],
        "pagerduty_users": [({"id": r["id"]}, r, live) for r in PD_USERS],
        "pagerduty_incidents": [
            ({"id": r["id"], "created_at": _ts(r["created_at"]), "updated_at": _ts(r["created_at"])}, r, live)
            for r in PD_INCIDENTS
        ],
    }
    if with_catalog:
        rows["incidentio_teams"] = [({"id": t["id"]}, t, live) for t in IO_TEAMS]
        rows["incidentio_teams"].append(({"id": DELETED_IO_TEAM["id"]}, DELETED_IO_TEAM, gone))
        rows["incidentio_postmortem_documents"] = [
            ({"id": d["id"], "incident_id": d["incident_id"], "updated_at": _ts(d["updated_at"])}, d, deleted)
            for d, deleted in [*((d, live) for d in POSTMORTEMS), (DELETED_POSTMORTEM, gone)]
        ]
    return rows


def _create_warehouse(path: Path, with_catalog: bool) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for table in RAW_TABLES:
            con.execute(table.create_sql())
        for table_name, rows in _rows(with_catalog).items():
            table = RAW_TABLES_BY_NAME[table_name]
            for keys, record, deleted_at in rows:
                values = {
                    **keys,
                    "_synced_at": SYNCED_AT,
                    "_deleted_at": deleted_at,
                    "_record": json.dumps(record),
                }
                assert set(values) == set(table.columns), table_name
                placeholders = ", ".join("?" for _ in values)
                con.execute(
                    f"INSERT INTO {table.qualified_name} ({', '.join(values)}) VALUES ({placeholders})",
                    list(values.values()),
                )


class Built:
    """A warehouse after `dbt build` of the team and post-incident marts (and their parents)."""

    def __init__(self, warehouse: Path, run: DbtRun) -> None:
        self.warehouse = warehouse
        self.run = run

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()


def _build(tmp_path_factory: pytest.TempPathFactory, with_catalog: bool) -> Built:
    workdir = tmp_path_factory.mktemp("dbt_teams")
    warehouse = workdir / "warehouse.duckdb"
    _create_warehouse(warehouse, with_catalog)
    # Cautious: only the tests whose parents are all built (no relationship test to an unbuilt mart).
    run = dbt_build(
        workdir,
        {"INCIDENT_LAKE_DB": str(warehouse)},
        "--select", MARTS, "--indirect-selection", "cautious",
        timeout=600,
    )  # fmt: skip
    return Built(warehouse, run)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, with_catalog=True)


@pytest.fixture(scope="module")
def no_catalog(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, with_catalog=False)


def _assert_built(built: Built) -> None:
    assert built.run.returncode == 0, built.run.output[-5000:]
    statuses = {r["unique_id"]: r["status"] for r in built.run.results["results"]}
    failed = {k: v for k, v in statuses.items() if v in {"error", "fail", "skipped"}}
    assert statuses and not failed, built.run.output[-5000:]


def test_team_marts_build_with_every_test_passing(full: Built) -> None:
    _assert_built(full)


def test_teams_match_twins_and_union_members(full: Built) -> None:
    teams = full.query(
        "select team_id, team_name, incidentio_team_id, pagerduty_team_id, member_count from marts.dim_teams"
    )
    assert sorted(teams) == [
        ("pagerduty:PT3", "Data", None, "PT3", 1),
        ("t_core", "core platform", "t_core", "PT1", 3),
        ("t_growth", "Growth ", "t_growth", "PT2", 1),
        ("t_mobile", "Mobile", "t_mobile", None, 0),
    ]
    members = full.query("select team_id, person_email from marts.dim_team_members order by 1, 2")
    assert members == [
        ("pagerduty:PT3", "dee@acme.io"),
        ("t_core", "ann@acme.io"),
        ("t_core", "bob@acme.io"),
        ("t_core", "dee@acme.io"),
        ("t_growth", "cy@acme.io"),
    ]


def test_field_values_one_row_per_value(full: Built) -> None:
    rows = full.query(
        "select incident_id, custom_field_id, field_type, value, value_numeric, catalog_entry_id "
        "from marts.fct_incident_field_values where incident_id = 'inc_01' "
        "order by custom_field_id, value_index"
    )
    assert rows == [
        ("inc_01", "cf_cause", "single_select", "Deploy", None, None),
        ("inc_01", "cf_customers", "numeric", "12.5", 12.5, None),
        ("inc_01", "cf_owner", "single_select", "core platform", None, "ce_core"),
        ("inc_01", "cf_status", "link", "https://status.acme.example/incidents/x1", None, None),
        ("inc_01", "cf_team", "multi_select", "core platform", None, "ce_core"),
        ("inc_01", "cf_team", "multi_select", "Growth ", None, "ce_growth"),
    ]


def test_incident_teams_custom_field_first_then_pagerduty(full: Built) -> None:
    rows = full.query(
        "select incident_id, team_id, attributed_by from marts.fct_incident_teams order by 1, 2"
    )
    assert rows == [
        ("inc_01", "t_core", "custom_field"),
        ("inc_01", "t_growth", "custom_field"),
        ("inc_02", "t_core", "pagerduty"),
        ("inc_04", "t_mobile", "custom_field"),
    ]


def test_mttr_by_team_counts_each_team_and_a_null_team_group(full: Built) -> None:
    rows = full.query(
        "select team_id, team_name, severity_name, incident_count, mttr_median_seconds "
        "from marts.metrics_mttr_by_team where month = date '2024-03-01'"
    )
    assert sorted(rows, key=str) == sorted(
        [
            ("t_core", "core platform", "Major", 1, 3600.0),
            ("t_growth", "Growth ", "Major", 1, 3600.0),
            ("t_core", "core platform", "Minor", 1, 3600.0),
            (None, None, "Major", 1, 1800.0),
        ],
        key=str,
    )


def test_team_workload_counts_incidents_by_iso_week(full: Built) -> None:
    rows = full.query("select team_id, week, member_count, incident_count from marts.metrics_team_workload")
    # inc_02, reported Sunday March 10 23:30 UTC, is in the week of Monday March 4; inc_04 is a test.
    assert sorted(rows) == [("t_core", date(2024, 3, 4), 3, 2), ("t_growth", date(2024, 3, 4), 1, 1)]


def test_post_incident_leaves_completion_before_resolution_out(full: Built) -> None:
    rows = full.query(
        "select severity_name, resolved_count, postmortem_count, postmortem_completed_count, "
        "postmortem_completed_before_resolved_count, median_hours_to_postmortem_completed, follow_up_count, "
        "follow_up_completed_count, median_days_to_follow_up_completed "
        "from marts.metrics_post_incident where month = date '2024-03-01' order by severity_name"
    )
    assert rows == [
        ("Major", 2, 1, 1, 0, 24.0, 2, 1, 2.0),  # inc_03's only document is deleted at the source
        ("Minor", 1, 1, 1, 1, None, 1, 1, 1.0),
    ]
    completed = full.query(
        "select postmortem_id, completed_at from marts.fct_postmortems where is_completed order by 1"
    )
    assert completed == [("pm1", _ts("2024-03-05T11:00:00Z")), ("pm3", _ts("2024-03-11T00:00:00Z"))]


def test_without_catalog_permission_teams_come_from_pagerduty(no_catalog: Built) -> None:
    _assert_built(no_catalog)
    teams = no_catalog.query("select team_id, team_name, member_count from marts.dim_teams order by 1")
    assert teams == [
        ("pagerduty:PT1", "Core Platform", 2),
        ("pagerduty:PT2", "Growth", 0),
        ("pagerduty:PT3", "Data", 1),
    ]
    rows = no_catalog.query(
        "select incident_id, team_id, attributed_by from marts.fct_incident_teams order by 1"
    )
    assert rows == [("inc_01", "pagerduty:PT3", "pagerduty"), ("inc_02", "pagerduty:PT1", "pagerduty")]
    post = no_catalog.query(
        "select severity_name, resolved_count, postmortem_count, follow_up_count "
        "from marts.metrics_post_incident order by severity_name"
    )
    assert post == [("Major", 2, 0, 2), ("Minor", 1, 0, 1)]
