"""What `raw.*` must hold after a sync, computed from the sandbox organisation (no SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.connectors.common import parse_time
from pipelines.sandbox.model import Organisation
from pipelines.settings import Settings
from tests.oracle import truth


def settings_for(env: dict[str, str], warehouse: Path, **overrides: object) -> Settings:
    values = {k.lower(): v for k, v in env.items()}
    values.update(incident_lake_db=warehouse, **overrides)
    return Settings(**values)


def expected_ids(org: Organisation) -> dict[str, set[str]]:
    """Exactly the ids each raw table must hold (Zoom participants: at least these, see below)."""
    incidents = list(org.io_incidents.values())
    channels = {i["slack_channel_id"] for i in incidents if i.get("slack_channel_id")}
    messages = set()
    for channel in channels:
        log = org.slack_logs.get(channel)
        if log is None:
            continue
        messages |= {f"{channel}:{m['ts']}" for m in log.top}
        messages |= {f"{channel}:{m['ts']}" for replies in log.threads.values() for m in replies}
        messages |= {f"{channel}:{ts}" for ts in log.threads}  # parents, returned by replies too
    participants = {
        f"{row_instance.uuid}:{p.get('user_id') or p.get('id') or p.get('name')}:{p['join_time']}"
        for incident in incidents
        for row_instance in truth.call_instances(org, incident)
        if len(row_instance.participants) > 1
        for p in row_instance.participants
    }
    return {
        "incidentio_incidents": set(org.io_incidents),
        "incidentio_incident_updates": {u["id"] for ups in org.io_updates.values() for u in ups},
        "incidentio_incident_attachments": {a["id"] for atts in org.io_attachments.values() for a in atts},
        "incidentio_follow_ups": {f["id"] for f in org.io_follow_ups},
        "incidentio_actions": {a["id"] for a in org.io_actions},
        "incidentio_users": {u["id"] for u in org.io_users},
        "slack_channels": channels & set(org.slack_channels),
        "slack_messages": messages,
        "zoom_participants": participants,
        # PagerDuty is read over its lookback (365 days to now): the sandbox's year can start a few
        # days earlier (a page created before its incident.io incident), and those stay out.
        "pagerduty_incidents": {i for i, r in org.pd_incidents.items() if _in_pagerduty_lookback(r)},
        "pagerduty_log_entries": {e["id"] for e in all_log_entries(org) if _in_pagerduty_lookback(e)},
        "pagerduty_teams": {t["id"] for t in org.pd_teams},
        **second_wave_ids(org),
    }


def second_wave_ids(org: Organisation) -> dict[str, set[str]]:
    """The teams, catalog, post-mortem and On-call records a sync must land, from the generator's stores.

    Catalog entries: of every type a custom field points at, and of the team type. Schedule entries:
    the `final` entries overlapping the window the sync reads (the PagerDuty lookback back from now to
    14 days ahead), keyed '<schedule_id>:<fingerprint>'.
    """
    used_types = {f["catalog_type_id"] for f in org.io_custom_fields if f.get("catalog_type_id")}
    used_types |= {t["id"] for t in org.io_catalog_types if t.get("is_team_type")}
    now = datetime.now(UTC)
    start = now - timedelta(days=Settings().pagerduty_lookback_days)
    end = now + timedelta(days=14)
    entries = {
        f"{schedule_id}:{e['fingerprint']}"
        for schedule_id, lists in org.io_schedule_entries.items()
        for e in lists.final
        if parse_time(e["end_at"]) > start and parse_time(e["start_at"]) < end
    }
    return {
        "incidentio_teams": {t["id"] for t in org.io_teams},
        "incidentio_catalog_types": {t["id"] for t in org.io_catalog_types},
        "incidentio_catalog_entries": {e["id"] for t in used_types for e in org.io_catalog_entries[t]},
        "incidentio_postmortem_documents": {d["id"] for d in org.io_postmortems},
        "incidentio_schedules": {s["id"] for s in org.io_schedules},
        "incidentio_schedule_entries": entries,
        "incidentio_escalations": {e["id"] for e in org.io_escalations},
        "incidentio_alerts": {a["id"] for a in org.io_alerts},
        "incidentio_incident_alerts": {x["id"] for x in org.io_incident_alerts},
    }


def _in_pagerduty_lookback(record: dict) -> bool:
    start = datetime.now(UTC) - timedelta(days=Settings().pagerduty_lookback_days)
    return parse_time(record["created_at"]) >= start


def all_log_entries(org: Organisation) -> list[dict]:
    entries = org.pd_log_entries
    return [e for group in entries.values() for e in group] if isinstance(entries, dict) else list(entries)


def warehouse_ids(path: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        ]
        # Rows marked deleted at the source stay as evidence but are not the source's records.
        return {
            t: {r[0] for r in con.execute(f"SELECT id FROM raw.{t} WHERE _deleted_at IS NULL").fetchall()}
            for t in tables
        }


def deleted_ids(path: Path) -> dict[str, set[str]]:
    """Ids of the rows marked deleted, per raw table that has any."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        ]
        found = {
            t: {r[0] for r in con.execute(f"SELECT id FROM raw.{t} WHERE _deleted_at IS NOT NULL").fetchall()}
            for t in tables
        }
    return {t: ids for t, ids in found.items() if ids}


def oncall_ids(org: Organisation, since: float, until: float) -> set[str]:
    """Ids of the on-call shifts overlapping [since, until), keyed as the connector keys them."""
    from pipelines.connectors.pagerduty import _oncall_id
    from pipelines.sandbox.apis.pagerduty import _oncall_shifts

    return {i for shift in _oncall_shifts(org, since, until) if (i := _oncall_id(shift))}


def assert_warehouse_matches(org: Organisation, path: Path) -> None:
    """Every record of the source exactly once (rows marked deleted aside); Zoom may hold more
    participants (wider window)."""
    import time

    actual = warehouse_ids(path)
    # On-calls: every shift of the lookback (365 days), none from outside it (a day's slack at each end).
    now, day = time.time(), 86400.0
    shifts = actual["pagerduty_oncalls"]
    inner, outer = oncall_ids(org, now - 364 * day, now), oncall_ids(org, now - 366 * day, now + day)
    assert inner and inner <= shifts, f"pagerduty_oncalls: {len(inner - shifts)} missing"
    assert shifts <= outer, f"pagerduty_oncalls: {len(shifts - outer)} not from the lookback"
    for table, ids in expected_ids(org).items():
        if table == "zoom_participants":
            missing = ids - actual[table]
            assert not missing, f"{table}: {len(missing)} missing, e.g. {sorted(missing)[:3]}"
            continue
        missing, extra = ids - actual[table], actual[table] - ids
        assert not missing and not extra, (
            f"{table}: {len(missing)} missing (e.g. {sorted(missing)[:3]}), "
            f"{len(extra)} extra (e.g. {sorted(extra)[:3]})"
        )
