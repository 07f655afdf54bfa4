"""The peer: the same four APIs loaded into DuckDB by dlt, written the way dlt's docs recommend.

Declarative `rest_api` configs (`RESTAPIConfig`), one per API, each with the paginator its API uses
(incident.io `pagination_meta.after` → `after`; Slack `response_metadata.next_cursor` → `cursor`;
Zoom `next_page_token`; PagerDuty `limit`/`offset` with `more`), parent → child resources bound with
`{resources.<parent>.<field>}` placeholders, `parallelized` resources, `merge` on the primary key,
DuckDB destination. Where a child needs a value its parent does not hold as a field (Slack channels and
Zoom meetings of incidents, threads with replies, call instances inside their incident's window,
PagerDuty's time windows), a small `@dlt.transformer` / `@dlt.resource` computes it, as dlt's docs show.

It reads exactly the endpoints and records incident-lake's full sync reads, with the same page sizes,
into tables of the same names (`incidentio_incidents`, `slack_messages`, …: every raw table), with one
extra request where a dlt child resource can have only one parent (the catalog entries of the team type
when a custom field also points at it, read twice and merged on the id); dlt's default nesting
unpacks nested lists into child tables (`incidentio_incidents__custom_field_entries`, …), which are not
counted as records.

`python -m bench.dlt_pipeline WORKDIR` runs it against the APIs the environment points at (the same
variables as incident-lake) and prints one JSON line: seconds inside `pipeline.run`, rows per table.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dlt
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import (
    JSONResponseCursorPaginator,
    OffsetPaginator,
    SinglePagePaginator,
)
from dlt.sources.rest_api import RESTAPIConfig, rest_api_resources
from dlt.sources.rest_api.typing import ClientConfig, EndpointResource, EndpointResourceBase

from pipelines.connectors.incidentio import schedule_entry_id
from pipelines.connectors.zoom import zoom_meeting_id

CALL_WINDOW_MARGIN = timedelta(hours=1)
PAGERDUTY_WINDOW = timedelta(days=30)
PAGERDUTY_LOOKBACK = timedelta(days=365)
# Schedule entries: the sync reads them over the PagerDuty lookback to this far ahead.
SCHEDULE_AHEAD = timedelta(days=14)
# dlt's performance guide: child requests in dlt's thread pool. `BENCH_DLT_PARALLELIZED=0` to compare.
PARALLELIZED = os.environ.get("BENCH_DLT_PARALLELIZED", "1") != "0"


def merge_by_id() -> EndpointResourceBase:
    """The defaults of most resources: merged on `id`, pages fetched in parallel (a fresh dict per
    source, as dlt may fill it in)."""
    return {"primary_key": "id", "write_disposition": "merge", "parallelized": PARALLELIZED}


# The tables compared with incident-lake's raw tables (dlt's child tables are not records).
TABLES = (
    "incidentio_incidents",
    "incidentio_incident_updates",
    "incidentio_incident_attachments",
    "incidentio_actions",
    "incidentio_follow_ups",
    "incidentio_users",
    "incidentio_severities",
    "incidentio_incident_statuses",
    "incidentio_incident_roles",
    "incidentio_incident_timestamps",
    "incidentio_incident_types",
    "incidentio_custom_fields",
    "incidentio_teams",
    "incidentio_catalog_types",
    "incidentio_catalog_entries",
    "incidentio_postmortem_documents",
    "incidentio_schedules",
    "incidentio_schedule_entries",
    "incidentio_escalations",
    "incidentio_alerts",
    "incidentio_incident_alerts",
    "slack_users",
    "slack_channels",
    "slack_messages",
    "zoom_users",
    "zoom_meeting_instances",
    "zoom_participants",
    "pagerduty_incidents",
    "pagerduty_log_entries",
    "pagerduty_oncalls",
    "pagerduty_services",
    "pagerduty_teams",
    "pagerduty_users",
)


def _env(name: str) -> str:
    return os.environ[name]


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timestamp(incident: dict[str, Any], name: str) -> datetime | None:
    for entry in incident.get("incident_timestamp_values") or []:
        if (entry.get("incident_timestamp") or {}).get("name") == name:
            return _time((entry.get("value") or {}).get("value"))
    return None


@configspec
class ZoomServerToServerOAuth(OAuth2ClientCredentials):
    """Zoom's Server-to-Server OAuth: client id and secret as HTTP Basic, `account_credentials` grant
    (the subclass dlt's docs show for Zoom)."""

    def build_access_token_request(self) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return {
            "headers": {
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            "data": self.access_token_request_data,
        }


@dlt.transformer(selected=False)
def incidentio_field_catalog_types(fields: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The catalog types custom fields point at: their entries are read."""
    yield [{"id": f["catalog_type_id"]} for f in fields if f.get("catalog_type_id")]


@dlt.transformer(selected=False)
def incidentio_team_catalog_types(types: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The team catalog type: its entries are read even when no custom field points at it."""
    yield [{"id": t["id"]} for t in types if t.get("is_team_type") is True]


def _schedule_entry_key(entry: dict[str, Any]) -> dict[str, Any]:
    """The sync's id of a schedule entry (`<schedule_id>:<fingerprint>`), as the primary key."""
    schedule_id = entry.pop("_incidentio_schedules_id")
    entry["schedule_id"] = schedule_id
    entry["row_id"] = schedule_entry_id(schedule_id, entry)
    return entry


def incidentio_config(incidents_parallel: bool = True) -> RESTAPIConfig:
    def after() -> JSONResponseCursorPaginator:  # one per resource: a paginator holds its cursor
        return JSONResponseCursorPaginator(cursor_path="pagination_meta.after", cursor_param="after")

    def paged(name: str, path: str, key: str, page_size: int) -> EndpointResource:
        return {
            "name": name,
            "endpoint": {
                "path": path,
                "params": {"page_size": page_size},
                "data_selector": key,
                "paginator": after(),
            },
        }

    now = datetime.now(UTC).replace(microsecond=0)
    window = {
        "entry_window_start": (now - PAGERDUTY_LOOKBACK).isoformat().replace("+00:00", "Z"),
        "entry_window_end": (now + SCHEDULE_AHEAD).isoformat().replace("+00:00", "Z"),
    }

    def whole(name: str, path: str, key: str) -> EndpointResource:
        return {
            "name": name,
            "endpoint": {"path": path, "data_selector": key, "paginator": SinglePagePaginator()},
        }

    return {
        "client": incidentio_client(),
        "resource_defaults": merge_by_id(),
        "resources": [
            whole("incidentio_severities", "v1/severities", "severities"),
            whole("incidentio_incident_statuses", "v1/incident_statuses", "incident_statuses"),
            whole("incidentio_incident_roles", "v2/incident_roles", "incident_roles"),
            whole("incidentio_incident_timestamps", "v2/incident_timestamps", "incident_timestamps"),
            whole("incidentio_incident_types", "v1/incident_types", "incident_types"),
            whole("incidentio_custom_fields", "v2/custom_fields", "custom_fields"),
            whole("incidentio_actions", "v2/actions", "actions"),
            whole("incidentio_follow_ups", "v2/follow_ups", "follow_ups"),
            {
                "name": "incidentio_users",
                "endpoint": {
                    "path": "v2/users",
                    "params": {"page_size": 10_000, "include_inactive": "true"},
                    "data_selector": "users",
                    "paginator": after(),
                },
            },
            {
                "name": "incidentio_incidents",
                "endpoint": {
                    "path": "v2/incidents",
                    "params": {
                        "page_size": 250,
                        "mode[one_of]": ["standard", "retrospective", "test", "tutorial"],
                    },
                    "data_selector": "incidents",
                    "paginator": after(),
                },
            },
            {
                "name": "incidentio_incident_updates",
                "endpoint": {
                    "path": "v2/incident_updates",
                    "params": {"page_size": 250},
                    "data_selector": "incident_updates",
                    "paginator": after(),
                },
            },
            {
                "name": "incidentio_incident_attachments",
                "endpoint": {
                    "path": "v1/incident_attachments",
                    "params": {"incident_id": "{resources.incidentio_incidents.id}"},
                    "data_selector": "incident_attachments",
                    "paginator": SinglePagePaginator(),
                },
            },
            # The second wave, with the sync's page sizes.
            paged("incidentio_teams", "v3/teams", "teams", 250),
            whole("incidentio_catalog_types", "v3/catalog_types", "catalog_types"),
            paged("incidentio_postmortem_documents", "v1/postmortem_documents", "postmortem_documents", 250),
            paged("incidentio_schedules", "v2/schedules", "schedules", 10_000),
            {
                "name": "incidentio_schedule_entries",
                "primary_key": "row_id",
                "processing_steps": [{"map": _schedule_entry_key}],
                "endpoint": {
                    "path": "v2/schedule_entries",
                    "params": {"schedule_id": "{resources.incidentio_schedules.id}", **window},
                    "data_selector": "schedule_entries.final",
                    # the next page: `pagination_meta.after` handed back as the window's start
                    "paginator": JSONResponseCursorPaginator(
                        cursor_path="pagination_meta.after", cursor_param="entry_window_start"
                    ),
                },
                "include_from_parent": ["id"],
            },
            paged("incidentio_escalations", "v2/escalations", "escalations", 50),
            paged("incidentio_alerts", "v2/alerts", "alerts", 50),
            paged("incidentio_incident_alerts", "v2/incident_alerts", "incident_alerts", 50),
        ],
    }


def incidentio_client() -> ClientConfig:
    """incident.io's base URL and bearer key, from the environment."""
    return {
        "base_url": _env("INCIDENTIO_BASE_URL").rstrip("/") + "/",
        "auth": {"type": "bearer", "token": _env("INCIDENTIO_API_KEY")},
    }


def incidentio_catalog_entries_config(custom_fields: Any, catalog_types: Any) -> RESTAPIConfig:
    """The entries of the catalog types in use: those custom fields point at, and the team type. A
    child resource has one parent, so each kind has its own, into one table: a type that is both
    (the team type a field points at) is read twice, and merged on the entry id."""

    def entries(name: str, parent: Any) -> EndpointResource:
        return {
            "name": name,
            "table_name": "incidentio_catalog_entries",
            "endpoint": {
                "path": "v3/catalog_entries",
                "params": {"catalog_type_id": f"{{resources.{parent.name}.id}}", "page_size": 250},
                "data_selector": "catalog_entries",
                "paginator": JSONResponseCursorPaginator(
                    cursor_path="pagination_meta.after", cursor_param="after"
                ),
            },
        }

    of_fields = custom_fields | incidentio_field_catalog_types
    of_teams = catalog_types | incidentio_team_catalog_types
    return {
        "client": incidentio_client(),
        "resource_defaults": merge_by_id(),
        "resources": [
            of_fields,
            of_teams,
            entries("incidentio_catalog_entries_of_fields", of_fields),
            entries("incidentio_catalog_entries_of_team_type", of_teams),
        ],
    }


@dlt.transformer(selected=False)
def slack_incident_channels(incidents: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The Slack channel of each incident (Slack is read for incident channels only)."""
    yield [{"channel": i["slack_channel_id"]} for i in incidents if i.get("slack_channel_id")]


@dlt.transformer(selected=False)
def slack_threads(messages: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Messages that start a thread: their replies are read next."""
    yield [
        {"channel": m["channel_id"], "ts": m["ts"]} for m in messages if m.get("reply_count") and m.get("ts")
    ]


def _slack_message_key(message: dict[str, Any]) -> dict[str, Any]:
    parent = "_slack_incident_channels_channel" if "_slack_incident_channels_channel" in message else None
    channel = message.pop(parent) if parent else message.pop("_slack_threads_channel")
    message.pop("_slack_threads_ts", None)
    message["channel_id"] = channel
    message["id"] = f"{channel}:{message['ts']}"
    return message


def slack_config(incidents: Any) -> RESTAPIConfig:
    def cursor() -> JSONResponseCursorPaginator:  # one per resource: a paginator holds its cursor
        return JSONResponseCursorPaginator(cursor_path="response_metadata.next_cursor", cursor_param="cursor")

    channels = incidents | slack_incident_channels
    history: EndpointResource = {
        "name": "slack_history",
        "table_name": "slack_messages",
        "primary_key": "id",
        "processing_steps": [{"map": _slack_message_key}],
        "endpoint": {
            "path": "conversations.history",
            "params": {"channel": "{resources.slack_incident_channels.channel}", "limit": 999},
            "data_selector": "messages",
            "paginator": cursor(),
        },
        "include_from_parent": ["channel"],
    }
    return {
        "client": {
            "base_url": _env("SLACK_BASE_URL"),
            "auth": {"type": "bearer", "token": _env("SLACK_BOT_TOKEN")},
        },
        "resource_defaults": merge_by_id(),
        "resources": [
            {
                "name": "slack_users",
                "endpoint": {
                    "path": "users.list",
                    "params": {"limit": 200},
                    "data_selector": "members",
                    "paginator": cursor(),
                },
            },
            channels,
            {
                "name": "slack_channels",
                "endpoint": {
                    "path": "conversations.info",
                    "params": {"channel": "{resources.slack_incident_channels.channel}"},
                    "data_selector": "channel",
                    "paginator": SinglePagePaginator(),
                },
            },
            history,
        ],
    }


def slack_replies_config(history: Any) -> RESTAPIConfig:
    threads = history | slack_threads
    return {
        "client": {
            "base_url": _env("SLACK_BASE_URL"),
            "auth": {"type": "bearer", "token": _env("SLACK_BOT_TOKEN")},
        },
        "resource_defaults": merge_by_id(),
        "resources": [
            threads,
            {
                "name": "slack_replies",
                "table_name": "slack_messages",
                "processing_steps": [{"map": _slack_message_key}],
                "endpoint": {
                    "path": "conversations.replies",
                    "params": {
                        "channel": "{resources.slack_threads.channel}",
                        "ts": "{resources.slack_threads.ts}",
                        "limit": 1000,
                    },
                    "data_selector": "messages",
                    "paginator": JSONResponseCursorPaginator(
                        cursor_path="response_metadata.next_cursor", cursor_param="cursor"
                    ),
                },
                "include_from_parent": ["channel", "ts"],
            },
        ],
    }


@dlt.transformer(selected=False)
def zoom_incident_calls(incidents: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The Zoom meeting of each incident's `call_url`, with the window its instances must start in."""
    now = datetime.now(UTC)
    calls = []
    for incident in incidents:
        meeting_id = zoom_meeting_id(incident.get("call_url"))
        reported = _timestamp(incident, "Reported at") or _time(incident.get("created_at"))
        if meeting_id is None or reported is None:
            continue
        end = _timestamp(incident, "Closed at") or _timestamp(incident, "Resolved at") or now
        calls.append(
            {
                "meeting_id": meeting_id,
                "window_start": (reported - CALL_WINDOW_MARGIN).isoformat(),
                "window_end": (end + CALL_WINDOW_MARGIN).isoformat(),
            }
        )
    yield calls


@dlt.transformer(selected=False)
def zoom_instances_in_window(instances: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Instances that started inside their incident's window; UUIDs encoded as Zoom requires."""
    selected = []
    for instance in instances:
        start = _time(instance.get("start_time"))
        lo = _time(instance["_zoom_incident_calls_window_start"])
        hi = _time(instance["_zoom_incident_calls_window_end"])
        if start is None or lo is None or hi is None or not lo <= start <= hi:
            continue
        uuid = instance["uuid"]
        once = quote(uuid, safe="")
        encoded = quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once
        selected.append({"path_uuid": encoded, "uuid": uuid, "meeting_id": instance["meeting_id"]})
    yield selected


def _instance_key(instance: dict[str, Any]) -> dict[str, Any]:
    instance["meeting_id"] = instance.pop("_zoom_incident_calls_meeting_id")
    return instance


def _participant_key(row: dict[str, Any]) -> dict[str, Any]:
    uuid = row.pop("_zoom_instances_in_window_uuid")
    row["meeting_uuid"] = uuid
    row["meeting_id"] = row.pop("_zoom_instances_in_window_meeting_id")
    row["row_id"] = f"{uuid}:{row.get('user_id') or row.get('id') or row.get('name')}:{row.get('join_time')}"
    return row


def zoom_config(incidents: Any) -> RESTAPIConfig:
    def token() -> JSONResponseCursorPaginator:  # one per resource: a paginator holds its cursor
        return JSONResponseCursorPaginator(cursor_path="next_page_token", cursor_param="next_page_token")

    calls = incidents | zoom_incident_calls
    auth = ZoomServerToServerOAuth(
        access_token_url=_env("ZOOM_OAUTH_URL"),
        client_id=_env("ZOOM_CLIENT_ID"),
        client_secret=_env("ZOOM_CLIENT_SECRET"),
        access_token_request_data={
            "grant_type": "account_credentials",
            "account_id": _env("ZOOM_ACCOUNT_ID"),
        },
    )

    def users(status: str) -> EndpointResource:
        return {
            "name": f"zoom_users_{status}",
            "table_name": "zoom_users",
            "endpoint": {
                "path": "users",
                "params": {"status": status, "page_size": 2000},
                "data_selector": "users",
                "paginator": token(),
            },
        }

    return {
        "client": {"base_url": _env("ZOOM_BASE_URL").rstrip("/") + "/", "auth": auth},
        "resource_defaults": merge_by_id(),
        "resources": [
            users("active"),
            users("inactive"),
            calls,
            {
                "name": "zoom_meeting_instances",
                "primary_key": "uuid",
                "processing_steps": [{"map": _instance_key}],
                "endpoint": {
                    "path": "past_meetings/{resources.zoom_incident_calls.meeting_id}/instances",
                    "data_selector": "meetings",
                    "paginator": SinglePagePaginator(),
                },
                "include_from_parent": ["meeting_id", "window_start", "window_end"],
            },
        ],
    }


def zoom_participants_config(instances: Any, auth: Any) -> RESTAPIConfig:
    in_window = instances | zoom_instances_in_window
    return {
        "client": {"base_url": _env("ZOOM_BASE_URL").rstrip("/") + "/", "auth": auth},
        "resource_defaults": {"write_disposition": "merge", "parallelized": PARALLELIZED},
        "resources": [
            in_window,
            {
                "name": "zoom_participants",
                "primary_key": "row_id",
                "processing_steps": [{"map": _participant_key}],
                "endpoint": {
                    "path": "past_meetings/{resources.zoom_instances_in_window.path_uuid}/participants",
                    "params": {"page_size": 300},
                    "data_selector": "participants",
                    "paginator": JSONResponseCursorPaginator(
                        cursor_path="next_page_token", cursor_param="next_page_token"
                    ),
                },
                "include_from_parent": ["uuid", "meeting_id"],
            },
        ],
    }


@dlt.resource(selected=False)
def pagerduty_windows() -> Iterator[list[dict[str, Any]]]:
    """30-day windows over the last year: `/incidents` takes at most 6 months, and offset paging stops
    at 10,000 records (the same windows incident-lake's sync reads)."""
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - PAGERDUTY_LOOKBACK
    windows = []
    while start < end:
        until = min(start + PAGERDUTY_WINDOW, end)
        windows.append(
            {
                "since": start.isoformat().replace("+00:00", "Z"),
                "until": until.isoformat().replace("+00:00", "Z"),
            }
        )
        start = until
    yield windows  # one page, as a REST parent would give it


def _oncall_key(row: dict[str, Any]) -> dict[str, Any]:
    """On-calls have no id: (policy, level, schedule, user, start), as incident-lake keys them."""
    policy = (row.get("escalation_policy") or {}).get("id")
    schedule = (row.get("schedule") or {}).get("id") or "direct"
    user = (row.get("user") or {}).get("id")
    row["row_id"] = (
        f"{policy}:{row.get('escalation_level')}:{schedule}:{user}:{row.get('start') or 'permanent'}"
    )
    return row


def pagerduty_config() -> RESTAPIConfig:
    end = datetime.now(UTC) + timedelta(minutes=1)
    since = (end - PAGERDUTY_LOOKBACK).isoformat().replace("+00:00", "Z")
    until = end.isoformat().replace("+00:00", "Z")

    def offset() -> OffsetPaginator:
        return OffsetPaginator(limit=100, total_path=None, has_more_path="more")

    def windowed(name: str, path: str, extra: dict[str, Any]) -> EndpointResource:
        return {
            "name": name,
            "endpoint": {
                "path": path,
                "params": {
                    "since": "{resources.pagerduty_windows.since}",
                    "until": "{resources.pagerduty_windows.until}",
                    "time_zone": "UTC",
                    **extra,
                },
                "data_selector": path,
                "paginator": offset(),
            },
        }

    return {
        "client": {
            "base_url": _env("PAGERDUTY_BASE_URL").rstrip("/") + "/",
            "auth": {
                "type": "api_key",
                "name": "Authorization",
                "api_key": f"Token token={_env('PAGERDUTY_API_TOKEN')}",
                "location": "header",
            },
            "headers": {"Accept": "application/vnd.pagerduty+json;version=2"},
        },
        "resource_defaults": merge_by_id(),
        "resources": [
            {
                "name": "pagerduty_services",
                "endpoint": {"path": "services", "data_selector": "services", "paginator": offset()},
            },
            {
                "name": "pagerduty_users",
                "endpoint": {"path": "users", "data_selector": "users", "paginator": offset()},
            },
            {
                "name": "pagerduty_teams",
                "endpoint": {"path": "teams", "data_selector": "teams", "paginator": offset()},
            },
            {
                "name": "pagerduty_oncalls",  # one listing over the whole lookback, as the sync does
                "primary_key": "row_id",
                "processing_steps": [{"map": _oncall_key}],
                "endpoint": {
                    "path": "oncalls",
                    "params": {"since": since, "until": until, "time_zone": "UTC"},
                    "data_selector": "oncalls",
                    "paginator": offset(),
                },
            },
            pagerduty_windows,
            windowed("pagerduty_incidents", "incidents", {"sort_by": "created_at:asc"}),
            windowed("pagerduty_log_entries", "log_entries", {"is_overview": "false"}),
        ],
    }


@dlt.source(name="incident_apis")
def incident_apis() -> Any:
    """The four APIs as one dlt source."""
    io = {r.name: r for r in rest_api_resources(incidentio_config())}
    incidents = io["incidentio_incidents"]
    catalog = {
        r.name: r
        for r in rest_api_resources(
            incidentio_catalog_entries_config(io["incidentio_custom_fields"], io["incidentio_catalog_types"])
        )
    }
    slack = {r.name: r for r in rest_api_resources(slack_config(incidents))}
    replies = {r.name: r for r in rest_api_resources(slack_replies_config(slack["slack_history"]))}
    zoom_cfg = zoom_config(incidents)
    zoom = {r.name: r for r in rest_api_resources(zoom_cfg)}
    participants = {
        r.name: r
        for r in rest_api_resources(
            zoom_participants_config(zoom["zoom_meeting_instances"], zoom_cfg["client"]["auth"])
        )
    }
    pagerduty = {r.name: r for r in rest_api_resources(pagerduty_config())}
    merged = {**io, **catalog, **slack, **replies, **zoom, **participants, **pagerduty}
    return list(merged.values())


def table_rows(database: Path, dataset: str) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [dataset]
            ).fetchall()
        }
        return {
            t: int(con.execute(f'SELECT count(*) FROM "{dataset}"."{t}"').fetchall()[0][0])
            if t in present
            else 0
            for t in TABLES
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    args.workdir.mkdir(parents=True, exist_ok=True)
    database = args.workdir / "dlt.duckdb"
    # dlt's own progress log on request (`progress` takes no None: left out, it is off)
    progress: dict[str, Any] = {"progress": "log"} if os.environ.get("BENCH_DLT_PROGRESS") else {}
    pipeline = dlt.pipeline(
        pipeline_name="incident_apis",
        pipelines_dir=str(args.workdir / "pipelines"),
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name="raw",
        **progress,
    )
    # `pipeline.run` is extract → normalize → load; called one by one to time each stage.
    stages: dict[str, float] = {}
    started = time.perf_counter()
    high_water: dict[str, float] = {}  # the process's peak RSS (MB) at the end of each stage

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    pipeline.extract(incident_apis())
    stages["extract"] = time.perf_counter() - started
    high_water["extract"] = peak()
    pipeline.normalize()
    stages["normalize"] = time.perf_counter() - started - stages["extract"]
    high_water["normalize"] = peak()
    info = pipeline.load()
    seconds = time.perf_counter() - started
    stages["load"] = seconds - stages["extract"] - stages["normalize"]
    high_water["load"] = peak()
    info.raise_on_failed_jobs()
    report = {"seconds": seconds, "rows": table_rows(database, "raw"), "dlt": dlt.__version__}
    print(
        json.dumps(
            {**report, "stages": stages, "peak_rss_mb_after": high_water, "parallelized": PARALLELIZED}
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
