"""The floor: the same API pages, saved to disk, loaded by DuckDB's own `read_json` into the raw tables.

`python -m bench.floor record PAGES WAREHOUSE` runs incident-lake's sync once with its HTTP calls
observed (outside any timed region): every page the connectors receive is appended, verbatim, to
`PAGES/<raw table>.ndjson` as `{"ctx": {...}, "page": <the response body>}`, where `ctx` holds what the
request said and the page does not (the Slack channel, the Zoom meeting and instance, the incident of an
attachment list). `python -m bench.floor load PAGES WAREHOUSE` then times one SQL statement per table:
`read_ndjson` → unnest the page's record list → the typed key columns → `INSERT OR REPLACE` into a
table created by the same DDL as `raw.*` (`id`, key columns, `_synced_at`, `_record JSON`). No Python
touches a record: this is as fast as DuckDB can turn those pages into those tables.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from pipelines.connectors.zoom import ZOOM_JOIN_URL

# table -> (JSON path of the record list in a page, id expression, key column expressions), over `r`
# (one record, JSON) and `ctx` (the request's context, JSON). Each says in SQL what the connector's
# `shape_records` call says in Python (its `id_of` and `keys`): Python's `a or b` skips empty strings,
# hence `coalesce(nullif(a, ''), b)`, and an f-string writes a missing value as 'None'.
# `differences` checks that both sides agree, table by table.
TS = "TRY_CAST(r->>'$.{0}' AS TIMESTAMPTZ)"
SQL_SHAPES: dict[str, tuple[str, str, dict[str, str]]] = {
    "incidentio_incidents": (
        "$.incidents[*]",
        "r->>'$.id'",
        {
            "updated_at": TS.format("updated_at"),
            # the connector's rule (`zoom_meeting_id`), as SQL: the first capture of its regex, else NULL
            "zoom_meeting_id": f"nullif(regexp_extract(r->>'$.call_url', '{ZOOM_JOIN_URL.pattern}', 1), '')",
        },
    ),
    "incidentio_incident_updates": (
        "$.incident_updates[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident_id'", "created_at": TS.format("created_at")},
    ),
    "incidentio_incident_attachments": (
        "$.incident_attachments[*]",
        "r->>'$.id'",
        {"incident_id": "coalesce(r->>'$.incident_id', ctx->>'$.incident_id')"},
    ),
    "incidentio_actions": (
        "$.actions[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident_id'", "updated_at": TS.format("updated_at")},
    ),
    "incidentio_follow_ups": (
        "$.follow_ups[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident_id'", "updated_at": TS.format("updated_at")},
    ),
    "incidentio_users": ("$.users[*]", "r->>'$.id'", {}),
    "incidentio_severities": ("$.severities[*]", "r->>'$.id'", {}),
    "incidentio_incident_statuses": ("$.incident_statuses[*]", "r->>'$.id'", {}),
    "incidentio_incident_roles": ("$.incident_roles[*]", "r->>'$.id'", {}),
    "incidentio_incident_timestamps": ("$.incident_timestamps[*]", "r->>'$.id'", {}),
    "incidentio_incident_types": ("$.incident_types[*]", "r->>'$.id'", {}),
    "incidentio_custom_fields": ("$.custom_fields[*]", "r->>'$.id'", {}),
    "incidentio_teams": ("$.teams[*]", "r->>'$.id'", {}),
    "incidentio_catalog_types": ("$.catalog_types[*]", "r->>'$.id'", {}),
    "incidentio_catalog_entries": (
        "$.catalog_entries[*]",
        "r->>'$.id'",
        {"catalog_type_id": "coalesce(r->>'$.catalog_type_id', ctx->>'$.catalog_type_id')"},
    ),
    "incidentio_postmortem_documents": (
        "$.postmortem_documents[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident_id'", "updated_at": TS.format("updated_at")},
    ),
    "incidentio_schedules": ("$.schedules[*]", "r->>'$.id'", {}),
    "incidentio_schedule_entries": (  # `schedule_entry_id`: the fingerprint, else start and user
        "$.schedule_entries.final[*]",
        "(ctx->>'$.schedule_id') || ':' || coalesce(nullif(r->>'$.fingerprint', ''), "
        "(r->>'$.start_at') || ':' || (r->>'$.user.id'))",
        {
            "schedule_id": "ctx->>'$.schedule_id'",
            "start_at": TS.format("start_at"),
            "end_at": TS.format("end_at"),
        },
    ),
    "incidentio_escalations": (
        "$.escalations[*]",
        "r->>'$.id'",
        {"created_at": TS.format("created_at"), "updated_at": TS.format("updated_at")},
    ),
    "incidentio_alerts": ("$.alerts[*]", "r->>'$.id'", {"created_at": TS.format("created_at")}),
    "incidentio_incident_alerts": (
        "$.incident_alerts[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident.id'", "alert_id": "r->>'$.alert.id'"},
    ),
    "slack_users": ("$.members[*]", "r->>'$.id'", {}),
    "slack_channels": (
        "$.channel",
        "r->>'$.id'",
        {"created_at": "to_timestamp(TRY_CAST(r->>'$.created' AS DOUBLE))"},
    ),
    "slack_messages": (
        "$.messages[*]",
        "(ctx->>'$.channel') || ':' || (r->>'$.ts')",
        {
            "channel_id": "ctx->>'$.channel'",
            "ts": "r->>'$.ts'",
            "thread_ts": "r->>'$.thread_ts'",
            "posted_at": "to_timestamp(TRY_CAST(r->>'$.ts' AS DOUBLE))",
        },
    ),
    "zoom_users": ("$.users[*]", "coalesce(nullif(r->>'$.id', ''), r->>'$.email')", {}),
    "zoom_meeting_instances": (
        "$.meetings[*]",
        "r->>'$.uuid'",
        {"meeting_id": "ctx->>'$.meeting_id'", "start_time": TS.format("start_time")},
    ),
    "zoom_participants": (
        "$.participants[*]",
        "(ctx->>'$.uuid') || ':' || coalesce(nullif(r->>'$.user_id', ''), nullif(r->>'$.id', ''), "
        "r->>'$.name', 'None') || ':' || coalesce(r->>'$.join_time', 'None')",
        {
            "meeting_uuid": "ctx->>'$.uuid'",
            "meeting_id": "ctx->>'$.meeting_id'",
            "join_time": TS.format("join_time"),
        },
    ),
    "pagerduty_incidents": (
        "$.incidents[*]",
        "r->>'$.id'",
        {"created_at": TS.format("created_at"), "updated_at": TS.format("updated_at")},
    ),
    "pagerduty_log_entries": (
        "$.log_entries[*]",
        "r->>'$.id'",
        {"incident_id": "r->>'$.incident.id'", "created_at": TS.format("created_at")},
    ),
    "pagerduty_oncalls": (
        "$.oncalls[*]",
        "(r->>'$.escalation_policy.id') || ':' || (r->>'$.escalation_level') || ':' "
        "|| coalesce(nullif(r->>'$.schedule.id', ''), 'direct') || ':' || (r->>'$.user.id') || ':' "
        "|| coalesce(nullif(r->>'$.start', ''), 'permanent')",
        {
            "user_id": "r->>'$.user.id'",
            "escalation_policy_id": "r->>'$.escalation_policy.id'",
            "escalation_level": "TRY_CAST(r->>'$.escalation_level' AS INTEGER)",
            "start_at": TS.format("start"),
            "end_at": TS.format("end"),
        },
    ),
    "pagerduty_services": ("$.services[*]", "r->>'$.id'", {}),
    "pagerduty_teams": ("$.teams[*]", "r->>'$.id'", {}),
    "pagerduty_users": ("$.users[*]", "r->>'$.id'", {}),
}

# (source, endpoint template) of the HTTP connectors -> raw table
HTTP_TABLES = {
    ("incidentio", "/v2/incidents"): "incidentio_incidents",
    ("incidentio", "/v2/incident_updates"): "incidentio_incident_updates",
    ("incidentio", "/v1/incident_attachments"): "incidentio_incident_attachments",
    ("incidentio", "/v2/actions"): "incidentio_actions",
    ("incidentio", "/v2/follow_ups"): "incidentio_follow_ups",
    ("incidentio", "/v2/users"): "incidentio_users",
    ("incidentio", "/v1/severities"): "incidentio_severities",
    ("incidentio", "/v1/incident_statuses"): "incidentio_incident_statuses",
    ("incidentio", "/v2/incident_roles"): "incidentio_incident_roles",
    ("incidentio", "/v2/incident_timestamps"): "incidentio_incident_timestamps",
    ("incidentio", "/v1/incident_types"): "incidentio_incident_types",
    ("incidentio", "/v2/custom_fields"): "incidentio_custom_fields",
    ("incidentio", "/v3/teams"): "incidentio_teams",
    ("incidentio", "/v3/catalog_types"): "incidentio_catalog_types",
    ("incidentio", "/v3/catalog_entries"): "incidentio_catalog_entries",
    ("incidentio", "/v1/postmortem_documents"): "incidentio_postmortem_documents",
    ("incidentio", "/v2/schedules"): "incidentio_schedules",
    ("incidentio", "/v2/schedule_entries"): "incidentio_schedule_entries",
    ("incidentio", "/v2/escalations"): "incidentio_escalations",
    ("incidentio", "/v2/alerts"): "incidentio_alerts",
    ("incidentio", "/v2/incident_alerts"): "incidentio_incident_alerts",
    ("zoom", "/users"): "zoom_users",
    ("zoom", "/past_meetings/{id}/instances"): "zoom_meeting_instances",
    ("zoom", "/past_meetings/{uuid}/participants"): "zoom_participants",
    ("pagerduty", "/incidents"): "pagerduty_incidents",
    ("pagerduty", "/incidents/{id}"): "pagerduty_incidents",
    ("pagerduty", "/log_entries"): "pagerduty_log_entries",
    ("pagerduty", "/oncalls"): "pagerduty_oncalls",
    ("pagerduty", "/services"): "pagerduty_services",
    ("pagerduty", "/teams"): "pagerduty_teams",
    ("pagerduty", "/users"): "pagerduty_users",
}
SLACK_TABLES = {
    "users.list": "slack_users",
    "conversations.info": "slack_channels",
    "conversations.history": "slack_messages",
    "conversations.replies": "slack_messages",
}


class PageRecorder:
    """Appends each page to `<dir>/<table>.ndjson` (thread-safe)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._files: dict[str, Any] = {}
        self.meeting_of_instance: dict[str, str] = {}
        self.pages = 0

    def write(self, table: str, ctx: dict[str, Any], page: Any) -> None:
        line = orjson.dumps({"ctx": ctx, "page": page}) + b"\n"
        with self._lock:
            handle = self._files.get(table)
            if handle is None:
                handle = self._files[table] = (self.directory / f"{table}.ndjson").open("ab")
            handle.write(line)
            self.pages += 1

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def _http_context(recorder: PageRecorder, endpoint: str, path: str, params: Any, page: Any) -> dict:
    if endpoint == "/v1/incident_attachments":
        return {"incident_id": (params or {}).get("incident_id")}
    if endpoint == "/v3/catalog_entries":
        return {"catalog_type_id": (params or {}).get("catalog_type_id")}
    if endpoint == "/v2/schedule_entries":
        return {"schedule_id": (params or {}).get("schedule_id")}
    if endpoint == "/past_meetings/{id}/instances":
        meeting_id = path.strip("/").split("/")[1]
        for instance in page.get("meetings") or [] if isinstance(page, dict) else []:
            recorder.meeting_of_instance[instance.get("uuid")] = meeting_id
        return {"meeting_id": meeting_id}
    if endpoint == "/past_meetings/{uuid}/participants":
        encoded = path.strip("/").split("/")[1]
        uuid = unquote(encoded)
        if "%" in uuid:
            uuid = unquote(uuid)
        return {"uuid": uuid, "meeting_id": recorder.meeting_of_instance.get(uuid)}
    return {}


def record(pages: Path, warehouse: Path) -> dict[str, Any]:
    """Run the sync with the connectors' responses copied to `pages` (nothing here is timed).

    incident.io, Zoom and PagerDuty read through `HttpClient.get_json`, Slack through
    `SlackWebApi.call`: those two methods are observed.
    """
    from pipelines.connectors.http import HttpClient
    from pipelines.connectors.slack import SlackWebApi

    recorder = PageRecorder(pages)
    original_get_json = HttpClient.get_json
    original_call = SlackWebApi.call

    def get_json(self: HttpClient, path: str, params: Any = None, **kwargs: Any) -> Any:
        page = original_get_json(self, path, params, **kwargs)
        endpoint = kwargs.get("endpoint") or path
        table = HTTP_TABLES.get((self.source, endpoint))
        if table is None:
            raise RuntimeError(f"the floor does not know {self.source} {endpoint}: add it to its tables")
        recorder.write(table, _http_context(recorder, endpoint, path, params, page), page)
        return page

    def call(self: SlackWebApi, method: str, **params: Any) -> dict[str, Any]:
        page = original_call(self, method, **params)
        table = SLACK_TABLES.get(method)
        if table is None:
            raise RuntimeError(f"the floor does not know slack {method}: add it to its tables")
        recorder.write(table, {"channel": params.get("channel")}, page)
        return page

    HttpClient.get_json = get_json  # type: ignore[method-assign]
    SlackWebApi.call = call  # type: ignore[method-assign]
    try:
        from bench.ours import main as sync_main

        code = sync_main([str(warehouse)])
    finally:
        HttpClient.get_json = original_get_json  # type: ignore[method-assign]
        SlackWebApi.call = original_call  # type: ignore[method-assign]
        recorder.close()
    if code:
        raise RuntimeError("the recording sync failed")
    return {"pages": recorder.pages, "bytes": sum(p.stat().st_size for p in pages.glob("*.ndjson"))}


def load_sql(table: str, file: Path) -> str:
    list_path, id_expr, keys = SQL_SHAPES[table]
    key_exprs = "".join(f", {expr} AS {name}" for name, expr in keys.items())
    records = (
        f"[page->'{list_path}']" if not list_path.endswith("[*]") else f"page->'{list_path}'"
    )  # a single object (conversations.info) is a list of one
    source = (
        f"read_ndjson('{file}', columns = {{ctx: 'JSON', page: 'JSON'}}, maximum_object_size = 1073741824)"
    )
    return (
        f"INSERT OR REPLACE INTO raw.{table} BY NAME "
        f"SELECT {id_expr} AS id{key_exprs}, now() AS _synced_at, r AS _record "
        f"FROM (SELECT ctx, unnest({records}) AS r FROM {source}) "
        f"WHERE r IS NOT NULL AND json_type(r) = 'OBJECT' AND id IS NOT NULL "  # the sync rejects those
        f"QUALIFY row_number() OVER (PARTITION BY id) = 1"
    )


def load(pages: Path, warehouse: Path) -> dict[str, Any]:
    import duckdb

    from pipelines.warehouse.raw_tables import RAW_TABLES

    started = time.perf_counter()
    con = duckdb.connect(str(warehouse))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    rows: dict[str, int] = {}
    for table in RAW_TABLES:
        con.execute(table.create_sql())
        file = pages / f"{table.name}.ndjson"
        if file.exists():
            con.execute(load_sql(table.name, file))
        rows[table.name] = int(con.execute(f"SELECT count(*) FROM raw.{table.name}").fetchall()[0][0])
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def differences(ours: Path, floor: Path) -> dict[str, dict[str, int]]:
    """Where the floor's tables differ from the sync's: per raw table, the rows (id and typed key
    columns) only one side holds and both sides' counts; tables that agree are left out.

    `ours` is a warehouse the sync wrote, `floor` one `load` wrote from the pages of that same sync. A
    non-empty answer means the two sides did not load the same records, so their times do not compare.
    """
    import duckdb

    from pipelines.warehouse.raw_tables import RAW_TABLES

    found: dict[str, dict[str, int]] = {}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{ours}' AS ours (READ_ONLY)")
        con.execute(f"ATTACH '{floor}' AS floor (READ_ONLY)")
        for table in RAW_TABLES:
            columns = ", ".join(["id", *table.key_columns])

            def count(sql: str) -> int:
                return int(con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0])

            ours_sql = f"SELECT {columns} FROM ours.raw.{table.name}"
            floor_sql = f"SELECT {columns} FROM floor.raw.{table.name}"
            diff = {
                "ours_rows": count(ours_sql),
                "floor_rows": count(floor_sql),
                "only_ours": count(f"{ours_sql} EXCEPT ALL {floor_sql}"),
                "only_floor": count(f"{floor_sql} EXCEPT ALL {ours_sql}"),
            }
            if diff["only_ours"] or diff["only_floor"] or diff["ours_rows"] != diff["floor_rows"]:
                found[table.name] = diff
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["record", "load"])
    parser.add_argument("pages", type=Path)
    parser.add_argument("warehouse", type=Path)
    args = parser.parse_args(argv)
    result = record(args.pages, args.warehouse) if args.mode == "record" else load(args.pages, args.warehouse)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
