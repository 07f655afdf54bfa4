"""The on-call marts end to end through dbt: API-shaped raw records (PagerDuty users, on-calls, incidents
and log entries; incident.io users, schedules, schedule entries, escalations, alerts, incident alerts
and incidents) -> staging -> intermediate -> fct_oncall_shifts, fct_pages, metrics_oncall_burden and
fct_incidents.first_alert_at, with the build time pinned by the `build_time` var.

Every expected value is computed by hand in the comment next to it (docs/metrics.md#on-call). The
dbt `unit_tests:` check each rule on its own model; this checks that the rules hold together from the
raw JSON (field names, unnesting, people matching, time zones).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.warehouse.raw_tables import RAW_TABLES, RAW_TABLES_BY_NAME
from tests.dbt_runner import DbtRun
from tests.dbt_runner import dbt_build as run_dbt_build

Record = dict[str, Any]

# One dbt build (a module-scoped fixture) serves every test here: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("dbt_oncall_build")

BUILD_TIME = "2024-03-12 12:00:00+00"
SYNCED_AT = datetime(2024, 3, 12, 12, tzinfo=UTC)
SELECTION = "+fct_oncall_shifts +fct_pages +metrics_oncall_burden +metrics_data_coverage"


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# People: Ada (London, from her PagerDuty account), Ned (New York), Zed (no time zone anywhere: UTC).
INCIDENTIO_USERS = [
    {"id": "U_ADA", "name": "Ada", "email": "Ada@Acme.io", "role": "unset", "is_active": True},
    {"id": "U_NED", "name": "Ned", "email": "ned@acme.io", "role": "unset", "is_active": True},
    {"id": "U_ZED", "name": "Zed", "email": "zed@acme.io", "role": "unset", "is_active": True},
]
PAGERDUTY_USERS = [
    {"id": "P_ADA", "type": "user", "name": "Ada", "email": "ada@acme.io", "time_zone": "Europe/London"},
    {"id": "P_NED", "type": "user", "name": "Ned", "email": "ned@acme.io", "time_zone": "America/New_York"},
]


def _io_user(user_id: str) -> Record:
    user = next(u for u in INCIDENTIO_USERS if u["id"] == user_id)
    return {k: user[k] for k in ("id", "name", "email", "role")}


# Ada on PagerDuty, Sunday 2024-01-07 20:00 -> Monday 10:00 UTC (London is on GMT in January).
PAGERDUTY_ONCALLS = [
    {
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference", "summary": "Checkout"},
        "escalation_level": 1,
        "schedule": {"id": "PS1", "type": "schedule_reference", "summary": "Checkout primary"},
        "user": {"id": "P_ADA", "type": "user_reference", "summary": "Ada"},
        "start": "2024-01-07T20:00:00Z",
        "end": "2024-01-08T10:00:00Z",
    }
]

SCHEDULE = {"id": "S1", "name": "SRE on-call", "timezone": "America/New_York"}


def _entry(fingerprint: str, user_id: str, start: str, end: str) -> Record:
    return {
        "entry_id": f"E_{fingerprint}",
        "fingerprint": fingerprint,
        "rotation_id": "R1",
        "layer_id": "L1",
        "start_at": start,
        "end_at": end,
        "user": _io_user(user_id),
    }


SCHEDULE_ENTRIES = [
    # Ada again on incident.io, overlapping her PagerDuty shift from 06:00 to 10:00.
    _entry("ada", "U_ADA", "2024-01-08T06:00:00Z", "2024-01-08T12:00:00Z"),
    # Ned across the US spring-forward night: Saturday 18:00 EST -> Sunday 18:00 EDT, 23 hours.
    _entry("ned", "U_NED", "2024-03-09T23:00:00Z", "2024-03-10T22:00:00Z"),
    # Zed: a shift running at the build (12:00) and one after it.
    _entry("zed1", "U_ZED", "2024-03-12T08:00:00Z", "2024-03-13T08:00:00Z"),
    _entry("zed2", "U_ZED", "2024-03-14T08:00:00Z", "2024-03-15T08:00:00Z"),
]


def _event(
    event_id: str, kind: str, at: str, users: list[str] | None = None, urgency: str | None = None
) -> Record:
    event: Record = {"id": event_id, "event": kind, "occurred_at": at}
    if users is not None:
        event["users"] = [_io_user(u) for u in users]
    if urgency is not None:
        event["urgency"] = urgency
    return event


ESCALATIONS = [
    # E1 pages Ada and Zed at 21:00:01, Ada again 39 s later (the same page); Ada acknowledges at 21:03.
    {
        "id": "ESC1",
        "title": "Latency above SLO",
        "status": "acked",
        "priority": {"name": "P2"},
        "escalation_path_id": "EP_S1",
        "creator": {"alert": {"id": "AL1", "title": "Latency above SLO"}},
        "events": [
            _event("ev1", "triggered", "2024-01-07T21:00:00.000Z"),
            _event("ev2", "notified_users", "2024-01-07T21:00:01.000Z", ["U_ADA", "U_ZED"], "high"),
            _event("ev3", "notified_users", "2024-01-07T21:00:40.000Z", ["U_ADA"], "high"),
            _event("ev4", "acked", "2024-01-07T21:03:00.000Z", ["U_ADA"]),
        ],
        "related_incidents": [{"id": "inc_a", "reference": "INC-1", "status_category": "active"}],
        "created_at": "2024-01-07T21:00:00.000Z",
        "updated_at": "2024-01-07T21:03:00.000Z",
    },
    # E2 pages Ada 10 s after PagerDuty does (another tool, another page); nobody acknowledges.
    {
        "id": "ESC2",
        "title": "Disk almost full",
        "status": "expired",
        "priority": {"name": "P3"},
        "escalation_path_id": "EP_S1",
        "creator": {"alert": {"id": "AL3", "title": "Disk almost full"}},
        "events": [
            _event("ev5", "notified_users", "2024-01-09T03:00:20.000Z", ["U_ADA"], "low"),
            _event("ev6", "expired", "2024-01-09T03:30:20.000Z"),
        ],
        "related_incidents": [],
        "created_at": "2024-01-09T03:00:19.000Z",
        "updated_at": "2024-01-09T03:30:20.000Z",
    },
]

# PagerDuty pages Ada by SMS at 03:00:10 and by phone 40 s later (one interruption), acknowledged 03:05.
PAGERDUTY_INCIDENTS = [
    {
        "id": "PD1",
        "type": "incident",
        "incident_number": 7,
        "title": "Disk almost full",
        "created_at": "2024-01-09T03:00:00Z",
        "updated_at": "2024-01-09T03:05:00Z",
        "status": "acknowledged",
        "urgency": "high",
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "storage"},
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference", "summary": "Checkout"},
        "acknowledgements": [],
    }
]


def _log_entry(entry_id: str, kind: str, at: str, channel: str, user: str | None = None) -> Record:
    entry: Record = {
        "id": entry_id,
        "type": kind,
        "created_at": at,
        "channel": {"type": channel},
        "incident": {"id": "PD1", "type": "incident_reference"},
        "agent": {"id": "P_ADA", "type": "user_reference", "summary": "Ada"},
    }
    if user:
        entry["user"] = {"id": user, "type": "user_reference", "summary": "Ada"}
    return entry


PAGERDUTY_LOG_ENTRIES = [
    _log_entry("LE1", "notify_log_entry", "2024-01-09T03:00:10Z", "sms", "P_ADA"),
    _log_entry("LE2", "notify_log_entry", "2024-01-09T03:00:50Z", "phone", "P_ADA"),
    _log_entry("LE3", "acknowledge_log_entry", "2024-01-09T03:05:00Z", "website"),
]


def _incident(incident_id: str, number: int, created_at: str) -> Record:
    return {
        "id": incident_id,
        "reference": f"INC-{number}",
        "name": f"incident {number}",
        "mode": "standard",
        "visibility": "public",
        "created_at": created_at,
        "updated_at": created_at,
        "incident_status": {"id": "st_live", "name": "Fixing", "category": "live", "rank": 2},
        "severity": None,
        "incident_role_assignments": [],
        "custom_field_entries": [],
        "incident_timestamp_values": [],
    }


INCIDENTS = [
    _incident("inc_a", 1, "2024-01-07T21:10:00Z"),  # 10 minutes after its alert: 600 s to declare
    _incident("inc_b", 2, "2024-02-01T10:00:00Z"),  # declared 3 minutes before its alert fired
    _incident("inc_c", 3, "2024-02-02T10:00:00Z"),  # no alert
]
ALERTS = [
    {
        "id": "AL1",
        "title": "Latency above SLO",
        "status": "resolved",
        "created_at": "2024-01-07T21:00:00.000Z",
    },
    {"id": "AL2", "title": "Error rate", "status": "firing", "created_at": "2024-02-01T10:03:00.000Z"},
]
INCIDENT_ALERTS = [
    {"id": "IA1", "alert": ALERTS[0], "alert_route_id": "AR1", "incident": {"id": "inc_a"}},
    {"id": "IA2", "alert": ALERTS[1], "alert_route_id": "AR1", "incident": {"id": "inc_b"}},
]


def _raw_rows() -> dict[str, list[tuple[Record, Record]]]:
    """Per raw table: (typed key columns, API record), keyed as the connectors key them."""
    return {
        "incidentio_users": [({"id": u["id"]}, u) for u in INCIDENTIO_USERS],
        "pagerduty_users": [({"id": u["id"]}, u) for u in PAGERDUTY_USERS],
        "pagerduty_oncalls": [
            (
                {
                    "id": f"PEP1:1:PS1:{o['user']['id']}:{o['start']}",
                    "user_id": o["user"]["id"],
                    "escalation_policy_id": "PEP1",
                    "escalation_level": o["escalation_level"],
                    "start_at": _ts(o["start"]),
                    "end_at": _ts(o["end"]),
                },
                o,
            )
            for o in PAGERDUTY_ONCALLS
        ],
        "incidentio_schedules": [({"id": SCHEDULE["id"]}, SCHEDULE)],
        "incidentio_schedule_entries": [
            (
                {
                    "id": f"S1:{e['fingerprint']}",
                    "schedule_id": "S1",
                    "start_at": _ts(e["start_at"]),
                    "end_at": _ts(e["end_at"]),
                },
                e,
            )
            for e in SCHEDULE_ENTRIES
        ],
        "incidentio_escalations": [
            ({"id": e["id"], "created_at": _ts(e["created_at"]), "updated_at": _ts(e["updated_at"])}, e)
            for e in ESCALATIONS
        ],
        "pagerduty_incidents": [
            ({"id": r["id"], "created_at": _ts(r["created_at"]), "updated_at": _ts(r["updated_at"])}, r)
            for r in PAGERDUTY_INCIDENTS
        ],
        "pagerduty_log_entries": [
            ({"id": r["id"], "incident_id": "PD1", "created_at": _ts(r["created_at"])}, r)
            for r in PAGERDUTY_LOG_ENTRIES
        ],
        "incidentio_incidents": [
            ({"id": r["id"], "updated_at": _ts(r["updated_at"]), "zoom_meeting_id": None}, r)
            for r in INCIDENTS
        ],
        "incidentio_alerts": [({"id": a["id"], "created_at": _ts(a["created_at"])}, a) for a in ALERTS],
        "incidentio_incident_alerts": [
            ({"id": r["id"], "incident_id": r["incident"]["id"], "alert_id": r["alert"]["id"]}, r)
            for r in INCIDENT_ALERTS
        ],
    }


def _create_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for table in RAW_TABLES:
            con.execute(table.create_sql())
        for table_name, rows in _raw_rows().items():
            table = RAW_TABLES_BY_NAME[table_name]
            for keys, record in rows:
                values = {**keys, "_synced_at": SYNCED_AT, "_deleted_at": None, "_record": json.dumps(record)}
                assert set(values) == set(table.columns), table_name
                columns = list(values)
                con.execute(
                    f"INSERT INTO {table.qualified_name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})",
                    [values[c] for c in columns],
                )


@pytest.fixture(scope="module")
def oncall_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DbtRun]:
    """The warehouse and the `dbt build` of the on-call marts (and what they read) on it."""
    workdir = tmp_path_factory.mktemp("dbt_oncall")
    warehouse = workdir / "warehouse.duckdb"
    _create_warehouse(warehouse)
    run = run_dbt_build(
        workdir,
        {"INCIDENT_LAKE_DB": str(warehouse)},
        "--select",
        SELECTION,
        # Only the tests whose every parent is selected (a relationship to an unselected mart would fail).
        "--indirect-selection",
        "cautious",
        "--vars",
        json.dumps({"build_time": BUILD_TIME}),
        timeout=900,
    )
    return warehouse, run


def _query(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_build_passes(oncall_build: tuple[Path, DbtRun]) -> None:
    _, run = oncall_build
    failed = [r["unique_id"] for r in run.results["results"] if r["status"] in ("error", "fail")]
    assert run.returncode == 0 and failed == [], run.output[-4000:]


def test_shift_hours_bands_and_people(oncall_build: tuple[Path, DbtRun]) -> None:
    warehouse, _ = oncall_build
    rows = _query(
        warehouse,
        "select shift_id, source, schedule_name, escalation_level, person_email, timezone, hours,"
        " business_hours, off_hours, sleep_hours from marts.fct_oncall_shifts",
    )
    shifts = {r.pop("shift_id"): r for r in rows}
    assert shifts == {
        # Sunday 20:00-22:00 off, 22:00-08:00 sleep, Monday 08:00-10:00 business (GMT = UTC).
        "pagerduty:PEP1:1:PS1:P_ADA:2024-01-07T20:00:00Z": {
            "source": "pagerduty", "schedule_name": "Checkout primary", "escalation_level": 1,
            "person_email": "ada@acme.io", "timezone": "Europe/London",
            "hours": 14.0, "business_hours": 2.0, "off_hours": 2.0, "sleep_hours": 10.0,
        },
        # Monday 06:00-08:00 sleep, 08:00-12:00 business.
        "incidentio:S1:ada": {
            "source": "incidentio", "schedule_name": "SRE on-call", "escalation_level": None,
            "person_email": "ada@acme.io", "timezone": "Europe/London",
            "hours": 6.0, "business_hours": 4.0, "off_hours": 0.0, "sleep_hours": 2.0,
        },
        # 23 real hours: Saturday 18-22 off (4), the night 22:00 EST-08:00 EDT (9), Sunday 08-18 off (10).
        "incidentio:S1:ned": {
            "source": "incidentio", "schedule_name": "SRE on-call", "escalation_level": None,
            "person_email": "ned@acme.io", "timezone": "America/New_York",
            "hours": 23.0, "business_hours": 0.0, "off_hours": 14.0, "sleep_hours": 9.0,
        },
        # Running at the build: Tuesday 08:00-12:00 UTC only.
        "incidentio:S1:zed1": {
            "source": "incidentio", "schedule_name": "SRE on-call", "escalation_level": None,
            "person_email": "zed@acme.io", "timezone": "UTC",
            "hours": 4.0, "business_hours": 4.0, "off_hours": 0.0, "sleep_hours": 0.0,
        },
        # After the build: no hours yet.
        "incidentio:S1:zed2": {
            "source": "incidentio", "schedule_name": "SRE on-call", "escalation_level": None,
            "person_email": "zed@acme.io", "timezone": "UTC",
            "hours": 0.0, "business_hours": 0.0, "off_hours": 0.0, "sleep_hours": 0.0,
        },
    }  # fmt: skip


def test_pages_of_both_tools(oncall_build: tuple[Path, DbtRun]) -> None:
    warehouse, _ = oncall_build
    rows = _query(
        warehouse,
        "select page_id, source, person_email, notified_at, urgency, incident_id, pagerduty_incident_id,"
        " escalation_id, acknowledged_at, hour_band, is_sleep_hour, during_oncall_shift"
        " from marts.fct_pages order by notified_at, page_id",
    )
    sunday, tuesday = datetime(2024, 1, 7, 21, 0, 1, tzinfo=UTC), datetime(2024, 1, 9, 3, tzinfo=UTC)
    assert rows == [
        # Ada's notifications 21:00:01 and 21:00:40 are one page; she was on her PagerDuty shift (off band).
        {"page_id": "incidentio:ESC1:U_ADA:1", "source": "incidentio", "person_email": "ada@acme.io",
         "notified_at": sunday, "urgency": "high", "incident_id": "inc_a", "pagerduty_incident_id": None,
         "escalation_id": "ESC1", "acknowledged_at": datetime(2024, 1, 7, 21, 3, tzinfo=UTC),
         "hour_band": "off", "is_sleep_hour": False, "during_oncall_shift": True},
        # Zed on no shift, judged in UTC.
        {"page_id": "incidentio:ESC1:U_ZED:1", "source": "incidentio", "person_email": "zed@acme.io",
         "notified_at": sunday, "urgency": "high", "incident_id": "inc_a", "pagerduty_incident_id": None,
         "escalation_id": "ESC1", "acknowledged_at": datetime(2024, 1, 7, 21, 3, tzinfo=UTC),
         "hour_band": "off", "is_sleep_hour": False, "during_oncall_shift": False},
        # PagerDuty's SMS and phone call 40 s apart: one page, at the SMS.
        {"page_id": "pagerduty:LE1", "source": "pagerduty", "person_email": "ada@acme.io",
         "notified_at": tuesday.replace(second=10), "urgency": "high", "incident_id": None,
         "pagerduty_incident_id": "PD1", "escalation_id": None,
         "acknowledged_at": datetime(2024, 1, 9, 3, 5, tzinfo=UTC),
         "hour_band": "sleep", "is_sleep_hour": True, "during_oncall_shift": False},
        # incident.io 10 s later: another tool's escalation, another page.
        {"page_id": "incidentio:ESC2:U_ADA:0", "source": "incidentio", "person_email": "ada@acme.io",
         "notified_at": tuesday.replace(second=20), "urgency": "low", "incident_id": None,
         "pagerduty_incident_id": None, "escalation_id": "ESC2", "acknowledged_at": None,
         "hour_band": "sleep", "is_sleep_hour": True, "during_oncall_shift": False},
    ]  # fmt: skip


def test_burden_is_the_union_per_iso_week(oncall_build: tuple[Path, DbtRun]) -> None:
    warehouse, _ = oncall_build
    rows = _query(warehouse, "select * from marts.metrics_oncall_burden order by person_email, week")
    burden = {(r.pop("person_email"), r.pop("week")): r for r in rows}

    def week(hours: float, business: float, off: float, sleep: float, pages: int = 0, off_pages: int = 0,
             sleep_pages: int = 0, outside: int = 0) -> dict[str, Any]:  # fmt: skip
        return {
            "oncall_hours": hours, "business_hours": business, "off_hours": off, "sleep_hours": sleep,
            "page_count": pages, "off_hours_page_count": off_pages, "sleep_hour_page_count": sleep_pages,
            "pages_outside_shift_count": outside,
        }  # fmt: skip

    assert burden == {
        # Ada's two shifts overlap 06:00-10:00: one span Sunday 20:00 -> Monday 12:00 (16 hours, not 20),
        # cut at Monday 00:00 UTC: 4 hours (2 off, 2 sleep) and 12 (8 sleep, 4 business).
        ("ada@acme.io", date(2024, 1, 1)): week(4, 0, 2, 2, pages=1, off_pages=1),
        ("ada@acme.io", date(2024, 1, 8)): week(12, 4, 0, 8, pages=2, sleep_pages=2, outside=2),
        ("ned@acme.io", date(2024, 3, 4)): week(23, 0, 14, 9),
        # A page and no hours still makes a row.
        ("zed@acme.io", date(2024, 1, 1)): week(0, 0, 0, 0, pages=1, off_pages=1, outside=1),
        ("zed@acme.io", date(2024, 3, 11)): week(4, 4, 0, 0),
    }


def test_first_alert_and_time_to_declare(oncall_build: tuple[Path, DbtRun]) -> None:
    warehouse, _ = oncall_build
    rows = _query(
        warehouse,
        "select incident_id, first_alert_at, time_to_declare_seconds, is_time_to_declare_invalid"
        " from marts.fct_incidents order by incident_id",
    )
    assert rows == [
        {"incident_id": "inc_a", "first_alert_at": datetime(2024, 1, 7, 21, tzinfo=UTC),
         "time_to_declare_seconds": 600.0, "is_time_to_declare_invalid": False},
        {"incident_id": "inc_b", "first_alert_at": datetime(2024, 2, 1, 10, 3, tzinfo=UTC),
         "time_to_declare_seconds": None, "is_time_to_declare_invalid": True},
        {"incident_id": "inc_c", "first_alert_at": None,
         "time_to_declare_seconds": None, "is_time_to_declare_invalid": False},
    ]  # fmt: skip
    coverage = _query(
        warehouse,
        "select metric_name, month, coverage_status, incident_count from marts.metrics_data_coverage"
        " where metric_name in ('time_to_declare', 'page_time_to_ack', 'person.timezone')"
        " order by metric_name, month, coverage_status",
    )
    assert [tuple(r.values()) for r in coverage] == [
        # Pages: three acknowledged in January, incident.io's ESC2 never.
        ("page_time_to_ack", date(2024, 1, 1), "computable", 3),
        ("page_time_to_ack", date(2024, 1, 1), "never_acknowledged", 1),
        # On call or paged in January: Ada (a PagerDuty time zone) and Zed (none: UTC assumed); in
        # March (weeks of 4 and 11 March): Ned and Zed.
        ("person.timezone", date(2024, 1, 1), "derived", 1),
        ("person.timezone", date(2024, 1, 1), "from_source", 1),
        ("person.timezone", date(2024, 3, 1), "derived", 1),
        ("person.timezone", date(2024, 3, 1), "from_source", 1),
        ("time_to_declare", date(2024, 1, 1), "computable", 1),
        ("time_to_declare", date(2024, 2, 1), "invalid_timestamps", 1),
        ("time_to_declare", date(2024, 2, 1), "no_alert", 1),
    ]
