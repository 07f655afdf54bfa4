"""The `raw.*` tables: one per API entity, keyed by the API's id.

This module is the single description of the raw layer. The connectors write these tables, the dbt
sources read them, the Dagster assets are named after them. Every table has the same tail:
`_synced_at` (when this row's content last changed: first written, changed, or back after a deletion
mark; a sync that re-reads it unchanged leaves it alone, docs/sync.md), `_deleted_at` (when a read that
covers the row's whole set no longer returned it, else NULL; the row stays as evidence) and `_record`
(the full API record as JSON, so nothing the API sends is thrown away). Connectors name entities and
the sets they read whole; this module maps an entity to its table (`raw_table_for`) and a set to the
rows it holds (`RawTable.covered_sets`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CoveredSet:
    """Which rows a set read whole holds: rows whose `key_columns` equal the set's key (all rows when
    there are none) and, if given, that meet `condition` (SQL on the table aliased `t`; `_present` holds
    the rows the reads returned).

    `range_column`: the set is a time window of that (timestamp) column, e.g. a schedule's entries
    starting in the window a read covered. A covered key then ends with two more values, the window's
    start and end as ISO-8601 strings, and only rows with `start <= range_column < end` belong to it.
    """

    key_columns: tuple[str, ...] = ()
    condition: str | None = None
    range_column: str | None = None


WHOLE_TABLE = CoveredSet()


@dataclass(frozen=True)
class RawTable:
    """One raw table: `raw.<source>_<entity>`."""

    source: str
    entity: str
    # Typed key columns besides `id`, in order, with their DuckDB types.
    key_columns: dict[str, str] = field(default_factory=dict)
    # The column that holds the entity's cursor field (a timestamp), if the entity has one.
    cursor_column: str | None = None
    description: str = ""
    # Sets a read can return whole, by name -> which rows they hold (docs/sync.md, "Deletions").
    covered_sets: dict[str, CoveredSet] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.source}_{self.entity}"

    @property
    def qualified_name(self) -> str:
        return f"raw.{self.name}"

    @property
    def columns(self) -> dict[str, str]:
        cols = {"id": "VARCHAR"}
        cols.update(self.key_columns)
        cols["_synced_at"] = "TIMESTAMPTZ"
        cols["_deleted_at"] = "TIMESTAMPTZ"
        cols["_record"] = "JSON"
        return cols

    def create_sql(self) -> str:
        cols = ",\n  ".join(
            f"{name} {dtype}{' NOT NULL PRIMARY KEY' if name == 'id' else ''}"
            for name, dtype in self.columns.items()
        )
        return f"CREATE TABLE IF NOT EXISTS {self.qualified_name} (\n  {cols}\n)"


RAW_TABLES: tuple[RawTable, ...] = (
    # incident.io
    RawTable(
        "incidentio",
        "incidents",
        {"updated_at": "TIMESTAMPTZ", "zoom_meeting_id": "VARCHAR"},
        cursor_column="updated_at",
        description=(
            "GET /v2/incidents, every mode (mode[one_of] asked for explicitly); zoom_meeting_id = the "
            "meeting id in call_url when it is a Zoom join link."
        ),
    ),
    RawTable(
        "incidentio",
        "incident_updates",
        {"incident_id": "VARCHAR", "created_at": "TIMESTAMPTZ"},
        cursor_column="created_at",
        description="GET /v2/incident_updates: status and severity changes.",
    ),
    RawTable(
        "incidentio",
        "incident_attachments",
        {"incident_id": "VARCHAR"},
        description="GET /v1/incident_attachments?incident_id=…: the link to PagerDuty and other tools.",
        covered_sets={"incident_attachments": CoveredSet(("incident_id",))},
    ),
    RawTable(
        "incidentio",
        "actions",
        {"incident_id": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v2/actions (not paginated).",
        covered_sets={"actions": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "follow_ups",
        {"incident_id": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v2/follow_ups (not paginated).",
        covered_sets={"follow_ups": WHOLE_TABLE},
    ),
    RawTable("incidentio", "users", description="GET /v2/users (page_size up to 10,000)."),
    RawTable(
        "incidentio",
        "severities",
        description="GET /v1/severities.",
        covered_sets={"severities": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "incident_statuses",
        description="GET /v1/incident_statuses.",
        covered_sets={"incident_statuses": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "incident_roles",
        description="GET /v2/incident_roles.",
        covered_sets={"incident_roles": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "incident_timestamps",
        description="GET /v2/incident_timestamps.",
        covered_sets={"incident_timestamps": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "incident_types",
        description="GET /v1/incident_types.",
        covered_sets={"incident_types": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "custom_fields",
        description="GET /v2/custom_fields.",
        covered_sets={"custom_fields": WHOLE_TABLE},
    ),
    # incident.io, second wave: teams, the catalog, post-mortems and On-call. Each is optional: a key
    # without the permission or an account without the feature skips it (docs/sync.md, "Permissions").
    RawTable(
        "incidentio",
        "teams",
        description="GET /v3/teams: members[] and the team's catalog_entry.",
        covered_sets={"teams": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "catalog_types",
        description="GET /v3/catalog_types (unpaged): which type is the team type.",
        covered_sets={"catalog_types": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "catalog_entries",
        {"catalog_type_id": "VARCHAR"},
        description=(
            "GET /v3/catalog_entries of every catalog type a custom field points at: names, aliases, "
            "external ids."
        ),
        covered_sets={"catalog_type_entries": CoveredSet(("catalog_type_id",))},
    ),
    RawTable(
        "incidentio",
        "postmortem_documents",
        {"incident_id": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v1/postmortem_documents: status, type, created_at, updated_at.",
        covered_sets={"postmortem_documents": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "schedules",
        description="GET /v2/schedules: On-call schedules, their time zone and rotations.",
        covered_sets={"schedules": WHOLE_TABLE},
    ),
    RawTable(
        "incidentio",
        "schedule_entries",
        {"schedule_id": "VARCHAR", "start_at": "TIMESTAMPTZ", "end_at": "TIMESTAMPTZ"},
        cursor_column="start_at",
        description=(
            "GET /v2/schedule_entries, the `final` list (after overrides) over the sync window; "
            "id = '<schedule_id>:<fingerprint>' (an entry without a fingerprint: "
            "'<schedule_id>:<start_at>:<user id>'). A schedule's entries starting inside the window a "
            "sync re-read and missing from it are marked deleted (an override replaced them)."
        ),
        covered_sets={"schedule_window": CoveredSet(("schedule_id",), range_column="start_at")},
    ),
    RawTable(
        "incidentio",
        "escalations",
        {"created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description=(
            "GET /v2/escalations, read incrementally by updated_at: status, priority, events[], "
            "related_incidents[]."
        ),
    ),
    RawTable(
        "incidentio",
        "alerts",
        {"created_at": "TIMESTAMPTZ"},
        cursor_column="created_at",
        description="GET /v2/alerts, read incrementally by created_at: when each alert fired.",
    ),
    RawTable(
        "incidentio",
        "incident_alerts",
        {"incident_id": "VARCHAR", "alert_id": "VARCHAR"},
        description=(
            "GET /v2/incident_alerts (read whole each sync): which alert opened which incident; "
            "incident_id = incident.id, alert_id = alert.id."
        ),
        covered_sets={"incident_alerts": WHOLE_TABLE},
    ),
    # Slack
    RawTable("slack", "users", description="users.list: people and bots, with profile.email and tz."),
    RawTable(
        "slack",
        "channels",
        {"created_at": "TIMESTAMPTZ"},
        description="conversations.info for each incident channel.",
    ),
    RawTable(
        "slack",
        "messages",
        {"channel_id": "VARCHAR", "ts": "VARCHAR", "thread_ts": "VARCHAR", "posted_at": "TIMESTAMPTZ"},
        cursor_column="posted_at",
        description=(
            "conversations.history and conversations.replies of incident channels; "
            "id = '<channel_id>:<ts>', so a reply broadcast to the channel is one row."
        ),
        covered_sets={
            # A channel's history: its messages and thread parents, and the replies of threads whose
            # parent is gone; replies of threads it returned are covered by their own read.
            "channel_history": CoveredSet(
                ("channel_id",),
                "NOT (t.thread_ts IS NOT NULL AND t.thread_ts <> t.ts AND EXISTS (SELECT 1 "
                "FROM _present AS p WHERE p.channel_id = t.channel_id AND p.ts = t.thread_ts))",
            ),
            "thread_replies": CoveredSet(("channel_id", "thread_ts"), "t.ts <> t.thread_ts"),
        },
    ),
    # Zoom
    RawTable("zoom", "users", description="GET /users (page_size up to 2,000)."),
    RawTable(
        "zoom",
        "meeting_instances",
        {"meeting_id": "VARCHAR", "start_time": "TIMESTAMPTZ"},
        cursor_column="start_time",
        description="GET /past_meetings/{meetingId}/instances; id = the instance UUID.",
    ),
    RawTable(
        "zoom",
        "participants",
        {"meeting_uuid": "VARCHAR", "meeting_id": "VARCHAR", "join_time": "TIMESTAMPTZ"},
        cursor_column="join_time",
        description=(
            "GET /past_meetings/{uuid}/participants; one row per join (a rejoin is a new row); "
            "id = '<meeting_uuid>:<user_id>:<join_time>'."
        ),
        covered_sets={"instance_participants": CoveredSet(("meeting_uuid",))},
    ),
    # PagerDuty
    RawTable(
        "pagerduty",
        "incidents",
        {"created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"},
        cursor_column="created_at",
        description="GET /incidents since the configured start.",
    ),
    RawTable(
        "pagerduty",
        "log_entries",
        {"incident_id": "VARCHAR", "created_at": "TIMESTAMPTZ"},
        cursor_column="created_at",
        description="GET /log_entries by time window (the same records as /incidents/{id}/log_entries).",
    ),
    RawTable(
        "pagerduty",
        "oncalls",
        {
            "user_id": "VARCHAR",
            "escalation_policy_id": "VARCHAR",
            "escalation_level": "INTEGER",
            "start_at": "TIMESTAMPTZ",
            "end_at": "TIMESTAMPTZ",
        },
        cursor_column="start_at",
        description=(
            "GET /oncalls: who was on call, per escalation policy and level, over the lookback; "
            "id = '<escalation_policy_id>:<level>:<schedule_id>:<user_id>:<start>' (the API has no id)."
        ),
    ),
    RawTable("pagerduty", "services", description="GET /services."),
    RawTable(
        "pagerduty",
        "teams",
        description="GET /teams (offset paging); membership is each user's teams[].",
        covered_sets={"teams": WHOLE_TABLE},
    ),
    RawTable("pagerduty", "users", description="GET /users: name, email, time_zone."),
)

RAW_TABLES_BY_NAME: dict[str, RawTable] = {t.name: t for t in RAW_TABLES}


def tables_of(source: str) -> list[RawTable]:
    return [t for t in RAW_TABLES if t.source == source]


def raw_table_for(source: str, entity: str) -> RawTable:
    """The raw table a connector's entity lands in (`raw.<source>_<entity>`); KeyError if none."""
    try:
        return RAW_TABLES_BY_NAME[f"{source}_{entity}"]
    except KeyError:
        raise KeyError(f"no raw table for the {source} entity {entity!r}") from None


# Tables whose rows can be marked deleted (dbt leaves rows with `_deleted_at` set out of every mart).
TABLES_WITH_DELETIONS: tuple[str, ...] = tuple(t.name for t in RAW_TABLES if t.covered_sets)
