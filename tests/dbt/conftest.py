"""Fixtures for the dbt build test: a temporary DuckDB warehouse filled with API-shaped records, and
one `dbt build` of dbt_project/ on it (module-scoped: built once, asserted on by several tests).

The records are hand-written in the shapes of the APIs' official specs (IncidentV2, IncidentUpdateV2,
IncidentAttachmentV1, Slack messages, Zoom participants, PagerDuty incidents and log entries); only the
fields the models read, plus a few realistic extras, are filled in. The comment on each incident says
what it exercises; the expected mart values in test_dbt_build.py are computed by hand from them.

This folder has no __init__.py on purpose: a package named `tests.dbt`/`dbt` next to a rootdir-less
`tests/` would shadow the real `dbt` package under pytest's default import mode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.connectors.zoom import zoom_meeting_id
from pipelines.warehouse.raw_tables import RAW_TABLES, RAW_TABLES_BY_NAME
from tests.dbt_runner import dbt_build as run_dbt_build

Record = dict[str, Any]

SEVERITY_MAJOR = {"id": "sev_major", "name": "Major", "description": "Significant impact.", "rank": 1}
SEVERITY_MINOR = {"id": "sev_minor", "name": "Minor", "description": "Small impact.", "rank": 0}

STATUSES = {
    "triage": {"id": "st_triage", "name": "Triage", "category": "triage", "rank": 0},
    "declined": {"id": "st_declined", "name": "Declined", "category": "declined", "rank": -1},
    "live": {"id": "st_fixing", "name": "Fixing", "category": "live", "rank": 2},
    "learning": {"id": "st_documenting", "name": "Documenting", "category": "learning", "rank": 4},
    "closed": {"id": "st_closed", "name": "Closed", "category": "closed", "rank": 6},
}

TIMESTAMP_IDS = {
    "Reported at": ("ts_reported", 0),
    "Resolved at": ("ts_resolved", 5),
    "Impact started at": ("ts_impact", 6),
    "Identified at": ("ts_identified", 7),
    "Fixed at": ("ts_fixed", 8),
    "Closed at": ("ts_closed", 12),
}

LEAD_ROLE = {"id": "role_lead", "name": "Incident Lead", "role_type": "lead", "shortform": "lead"}
REPORTER_ROLE = {"id": "role_reporter", "name": "Reporter", "role_type": "reporter", "shortform": ""}


def _user(user_id: str, name: str, email: str) -> Record:
    return {"id": user_id, "name": name, "email": email, "role": "unset", "slack_user_id": f"U_{user_id}"}


ROB = _user("usr_rob", "Rob", "Rob@Acme.IO")
DANA = _user("usr_dana", "Dana Kim", "dana.kim@acme.io")


def incident(
    number: int,
    *,
    mode: str = "standard",
    status: str = "closed",
    severity: Record | None = SEVERITY_MAJOR,
    created_at: str,
    timestamps: dict[str, str | None] | None = None,
    lead: Record | None = None,
    call_url: str | None = None,
    slack_channel_id: str = "",
    custom_field_entries: list[Record] | None = None,
) -> Record:
    """An IncidentV2 record. Every default timestamp is listed, unset ones with `value: null`."""
    timestamps = timestamps or {}
    return {
        "id": f"inc_{number:02d}",
        "reference": f"INC-{number}",
        "name": f"incident number {number}",
        "summary": "Checkout API returning 502s.",
        "mode": mode,
        "visibility": "public",
        "permalink": f"https://app.incident.io/acme/incidents/inc_{number:02d}",
        "call_url": call_url,
        "slack_channel_id": slack_channel_id,
        "slack_channel_name": f"inc-{number}" if slack_channel_id else "",
        "slack_team_id": "T062AQ2LWLE",
        "has_debrief": False,
        "created_at": created_at,
        "updated_at": created_at,
        "creator": {"user": DANA},
        "incident_status": STATUSES[status],
        "severity": severity,
        "incident_type": {"id": "type_default", "name": "Default", "is_default": True},
        "incident_role_assignments": [
            {"role": LEAD_ROLE, **({"assignee": lead} if lead else {})},
            {"role": REPORTER_ROLE, "assignee": DANA},
        ],
        "custom_field_entries": custom_field_entries or [],
        "incident_timestamp_values": [
            {
                "incident_timestamp": {"id": ts_id, "name": name, "rank": rank},
                "value": {"value": timestamps[name]} if timestamps.get(name) else None,
            }
            for name, (ts_id, rank) in TIMESTAMP_IDS.items()
        ],
        "duration_metrics": [],
        "workload_minutes_total": 42.5,
        "workload_minutes_working": 42.5,
        "workload_minutes_late": 0,
        "workload_minutes_sleeping": 0,
    }


INCIDENTS: list[Record] = [
    # 1: every timestamp set. TTR 10:00 -> 11:00 = 3600 s; TTM 09:30 -> 10:45 = 4500 s.
    #    Lead email comes lower-cased; Zoom id from call_url; PagerDuty via attachment.
    incident(
        1,
        created_at="2024-03-01T10:02:11.000Z",
        timestamps={
            "Reported at": "2024-03-01T10:00:00.000Z",
            "Impact started at": "2024-03-01T09:30:00.000Z",
            "Fixed at": "2024-03-01T10:45:00.000Z",
            "Resolved at": "2024-03-01T11:00:00.000Z",
            "Closed at": "2024-03-01T12:00:00.000Z",
        },
        lead=ROB,
        call_url="https://us02web.zoom.us/j/93398114182?pwd=abc123",
        slack_channel_id="C0INC0001",
        custom_field_entries=[
            {
                "custom_field": {
                    "id": "cf_pd",
                    "name": "PagerDuty incident",
                    "field_type": "link",
                    "options": [],
                },
                "values": [{"value_link": "https://acme.pagerduty.com/incidents/PIGNORED"}],
            }
        ],
    ),
    # 2: no "Reported at" -> created_at 08:00; no "Resolved at" -> first update into learning 08:30.
    #    TTR 1800 s; no "Fixed at" -> TTM null. Empty slack channel -> null. PagerDuty via custom field.
    incident(
        2,
        status="learning",
        created_at="2024-03-05T08:00:00.000Z",
        custom_field_entries=[
            {
                "custom_field": {"id": "cf_links", "name": "Links", "field_type": "link", "options": []},
                "values": [{"value_link": "https://acme.pagerduty.com/incidents/PDINC02"}],
            }
        ],
    ),
    # 3: "Resolved at" edited to before "Reported at" -> TTR null, flagged, warn test lists it.
    incident(
        3,
        created_at="2024-03-10T00:00:00.000Z",
        timestamps={"Reported at": "2024-03-10T00:00:00.000Z", "Resolved at": "2024-03-09T23:00:00.000Z"},
        lead=DANA,
    ),
    # 4: no severity; reported 23:30 UTC on March 31 -> March. TTR 3600 s.
    incident(
        4,
        status="closed",
        severity=None,
        created_at="2024-03-31T23:30:00.000Z",
        timestamps={"Reported at": "2024-03-31T23:30:00.000Z", "Resolved at": "2024-04-01T00:30:00.000Z"},
    ),
    # 5-7: kept in fct_incidents but not in metrics (test mode, declined, retrospective).
    incident(
        5,
        mode="test",
        created_at="2024-03-02T00:00:00.000Z",
        timestamps={"Resolved at": "2024-03-02T10:00:00.000Z"},
    ),
    incident(6, status="declined", severity=SEVERITY_MINOR, created_at="2024-03-03T00:00:00.000Z"),
    incident(
        7,
        mode="retrospective",
        created_at="2024-03-04T00:00:00.000Z",
        timestamps={"Resolved at": "2024-03-06T00:00:00.000Z"},
    ),
    # 8: live, never resolved: counted in incident_count, not in resolved_count.
    incident(8, status="live", created_at="2024-03-20T12:00:00.000Z"),
]


def _status_update(update_id: str, incident_id: str, status: str, created_at: str) -> Record:
    return {
        "id": update_id,
        "incident_id": incident_id,
        "created_at": created_at,
        "message": f"Moved to {STATUSES[status]['name']}",
        "new_incident_status": STATUSES[status],
        "new_severity": SEVERITY_MAJOR,
        "updater": {"user": DANA},
    }


INCIDENT_UPDATES: list[Record] = [
    _status_update("upd_01", "inc_02", "live", "2024-03-05T08:10:00.000Z"),
    _status_update("upd_02", "inc_02", "learning", "2024-03-05T08:30:00.000Z"),
    _status_update("upd_03", "inc_02", "closed", "2024-03-05T09:00:00.000Z"),
    # inc_01 has "Resolved at", which wins over this later update.
    _status_update("upd_04", "inc_01", "closed", "2024-03-01T12:00:00.000Z"),
]

INCIDENT_ATTACHMENTS: list[Record] = [
    {
        "id": "att_01",
        "incident_id": "inc_01",
        "resource": {
            "external_id": "PDINC01",
            "permalink": "https://acme.pagerduty.com/incidents/PDINC01",
            "resource_type": "pager_duty_incident",
            "title": "checkout-api: p99 latency > 2s",
        },
    },
    {
        "id": "att_02",
        "incident_id": "inc_01",
        "resource": {
            "external_id": "OPS-42",
            "permalink": "https://acme.atlassian.net/browse/OPS-42",
            "resource_type": "jira_issue",
            "title": "Follow up",
        },
    },
]

SLACK_CHANNELS: list[Record] = [
    {
        "id": "C0INC0001",
        "name": "inc-1",
        "created": 1709287331,
        "creator": "U_usr_dana",
        "is_private": False,
        "is_archived": False,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "Incident 1 war room", "creator": "U_usr_dana", "last_set": 1709287331},
    }
]

SLACK_MESSAGES: list[Record] = [
    {
        "type": "message",
        "ts": "1709287400.000100",
        "user": "U_usr_rob",
        "text": "Looking",
        "thread_ts": "1709287400.000100",
        "reply_count": 1,
        "channel": "C0INC0001",
    },
    {
        "type": "message",
        "ts": "1709287500.000200",
        "user": "U_usr_dana",
        "text": "ack",
        "thread_ts": "1709287400.000100",
        "parent_user_id": "U_usr_rob",
        "channel": "C0INC0001",
    },
    {
        "type": "message",
        "subtype": "channel_join",
        "ts": "1709287350.000050",
        "user": "U_usr_rob",
        "text": "<@U_usr_rob> has joined the channel",
        "channel": "C0INC0001",
    },
]

ZOOM_INSTANCES: list[Record] = [
    {"uuid": "/Ab//cdEF1g2hIJKlMn3oQ==", "start_time": "2024-03-01T10:05:00Z"},
]

ZOOM_PARTICIPANTS: list[Record] = [
    {
        "id": "zu_rob",
        "name": "Rob",
        "user_id": "16778240",
        "user_email": "Rob@Acme.IO",
        "join_time": "2024-03-01T10:05:00Z",
        "leave_time": "2024-03-01T10:35:00Z",
        "duration": 1800,
        "status": "in_meeting",
        "internal_user": True,
    },
    {
        "id": "",
        "name": "Guest Phone",
        "user_id": "16778241",
        "user_email": "",
        "join_time": "2024-03-01T10:06:00Z",
        "leave_time": "2024-03-01T10:07:00Z",
        "duration": 60,
        "status": "in_meeting",
        "internal_user": False,
    },
]

PAGERDUTY_INCIDENTS: list[Record] = [
    {
        "id": "PDINC01",
        "type": "incident",
        "summary": "[#4812] checkout-api: p99 latency > 2s",
        "html_url": "https://acme.pagerduty.com/incidents/PDINC01",
        "incident_number": 4812,
        "title": "checkout-api: p99 latency > 2s",
        "created_at": "2024-03-01T09:58:00Z",
        "updated_at": "2024-03-01T11:00:00Z",
        "status": "resolved",
        "incident_key": "c3f0a1d7",
        "service": {"id": "PSVC123", "type": "service_reference", "summary": "checkout-api"},
        "escalation_policy": {
            "id": "PEP0001",
            "type": "escalation_policy_reference",
            "summary": "Payments Primary",
        },
        "priority": {"id": "PPRI001", "type": "priority_reference", "summary": "P1"},
        "resolved_at": "2024-03-01T11:00:00Z",
        "last_status_change_at": "2024-03-01T11:00:00Z",
        "urgency": "high",
        "assignments": [],
        "acknowledgements": [],
    }
]

PAGERDUTY_LOG_ENTRIES: list[Record] = [
    {
        "id": "R01",
        "type": "trigger_log_entry",
        "summary": "Triggered through the API",
        "created_at": "2024-03-01T09:58:00Z",
        "agent": {"id": "PSVC123", "type": "service_reference", "summary": "checkout-api"},
        "channel": {"type": "api"},
        "incident": {"id": "PDINC01", "type": "incident_reference"},
    },
    {
        "id": "R02",
        "type": "notify_log_entry",
        "summary": "Notified Rob via SMS.",
        "created_at": "2024-03-01T09:58:05Z",
        "agent": {"id": "PUSR042", "type": "user_reference", "summary": "Rob"},
        "channel": {"type": "sms"},
        "user": {"id": "PUSR042", "type": "user_reference", "summary": "Rob"},
        "incident": {"id": "PDINC01", "type": "incident_reference"},
    },
    {
        "id": "R03",
        "type": "acknowledgement_log_entry",
        "summary": "Acknowledged by Rob.",
        "created_at": "2024-03-01T10:01:00Z",
        "agent": {"id": "PUSR042", "type": "user_reference", "summary": "Rob"},
        "channel": {"type": "website"},
        "incident": {"id": "PDINC01", "type": "incident_reference"},
    },
]


ZOOM_MEETING_ID = "93398114182"
SYNCED_AT = datetime(2024, 4, 2, tzinfo=UTC)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _raw_rows() -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Per raw table: (typed key columns, API record) pairs, keyed as the connectors key them."""
    return {
        "incidentio_incidents": [
            (
                {
                    "id": r["id"],
                    "updated_at": _ts(r["updated_at"]),
                    "zoom_meeting_id": zoom_meeting_id(r["call_url"]),
                },
                r,
            )
            for r in INCIDENTS
        ],
        "incidentio_incident_updates": [
            ({"id": r["id"], "incident_id": r["incident_id"], "created_at": _ts(r["created_at"])}, r)
            for r in INCIDENT_UPDATES
        ],
        # The organisation's directory: Rob and Dana are people; the phone guest in the call is not.
        "incidentio_users": [({"id": u["id"]}, {**u, "is_active": True}) for u in (ROB, DANA)],
        "incidentio_incident_attachments": [
            ({"id": r["id"], "incident_id": r["incident_id"]}, r) for r in INCIDENT_ATTACHMENTS
        ],
        "slack_channels": [
            ({"id": r["id"], "created_at": datetime.fromtimestamp(r["created"], UTC)}, r)
            for r in SLACK_CHANNELS
        ],
        "slack_messages": [
            (
                {
                    "id": f"{r['channel']}:{r['ts']}",
                    "channel_id": r["channel"],
                    "ts": r["ts"],
                    "thread_ts": r.get("thread_ts"),
                    "posted_at": datetime.fromtimestamp(float(r["ts"]), UTC),
                },
                r,
            )
            for r in SLACK_MESSAGES
        ],
        "zoom_meeting_instances": [
            ({"id": r["uuid"], "meeting_id": ZOOM_MEETING_ID, "start_time": _ts(r["start_time"])}, r)
            for r in ZOOM_INSTANCES
        ],
        "zoom_participants": [
            (
                {
                    "id": f"{ZOOM_INSTANCES[0]['uuid']}:{r['user_id']}:{r['join_time']}",
                    "meeting_uuid": ZOOM_INSTANCES[0]["uuid"],
                    "meeting_id": ZOOM_MEETING_ID,
                    "join_time": _ts(r["join_time"]),
                },
                r,
            )
            for r in ZOOM_PARTICIPANTS
        ],
        "pagerduty_incidents": [
            ({"id": r["id"], "created_at": _ts(r["created_at"]), "updated_at": _ts(r["updated_at"])}, r)
            for r in PAGERDUTY_INCIDENTS
        ],
        "pagerduty_log_entries": [
            ({"id": r["id"], "incident_id": r["incident"]["id"], "created_at": _ts(r["created_at"])}, r)
            for r in PAGERDUTY_LOG_ENTRIES
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
                # Nothing here is deleted at the source (`_deleted_at` NULL: a live row).
                values = {**keys, "_synced_at": SYNCED_AT, "_deleted_at": None, "_record": json.dumps(record)}
                assert set(values) == set(table.columns), table_name
                columns = list(values)
                placeholders = ", ".join("?" for _ in columns)
                con.execute(
                    f"INSERT INTO {table.qualified_name} ({', '.join(columns)}) VALUES ({placeholders})",
                    [values[c] for c in columns],
                )


@dataclass(frozen=True)
class DbtBuild:
    """One finished `dbt build`: the warehouse it wrote, its exit code, output and run results."""

    warehouse: Path
    returncode: int
    output: str
    run_results: dict[str, Any]

    def statuses(self) -> dict[str, str]:
        """Node name -> status ('success', 'pass', 'warn', 'fail', 'error', 'skipped')."""
        return {r["unique_id"].split(".")[-1]: r["status"] for r in self.run_results["results"]}


@pytest.fixture(scope="module")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """Builds the warehouse and runs `dbt build` on it in a subprocess.

    A subprocess, like the pipeline's own dbt runs: dbt-duckdb keeps the database file open in the
    process that ran dbt, so an in-process dbtRunner would lock the tests out of the warehouse.
    """
    workdir = tmp_path_factory.mktemp("dbt_build")
    warehouse = workdir / "warehouse.duckdb"
    _create_warehouse(warehouse)
    run = run_dbt_build(workdir, {"INCIDENT_LAKE_DB": str(warehouse)}, timeout=300)
    return DbtBuild(warehouse, run.returncode, run.output, run.results)
