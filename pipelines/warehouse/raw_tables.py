"""The `raw.*` tables: one per API entity, keyed by the API's id.

This module is the single description of the raw layer. The connectors write these tables, the dbt
sources read them, the Dagster assets are named after them. Every table has the same tail:
`_synced_at` (when this row was last written) and `_record` (the full API record as JSON, so nothing
the API sends is thrown away).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        {"updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v2/incidents, every mode (mode[one_of] asked for explicitly).",
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
    ),
    RawTable(
        "incidentio",
        "actions",
        {"incident_id": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v2/actions (not paginated).",
    ),
    RawTable(
        "incidentio",
        "follow_ups",
        {"incident_id": "VARCHAR", "updated_at": "TIMESTAMPTZ"},
        cursor_column="updated_at",
        description="GET /v2/follow_ups (not paginated).",
    ),
    RawTable("incidentio", "users", description="GET /v2/users (page_size up to 10,000)."),
    RawTable("incidentio", "severities", description="GET /v1/severities."),
    RawTable("incidentio", "incident_statuses", description="GET /v1/incident_statuses."),
    RawTable("incidentio", "incident_roles", description="GET /v2/incident_roles."),
    RawTable("incidentio", "incident_timestamps", description="GET /v2/incident_timestamps."),
    RawTable("incidentio", "incident_types", description="GET /v1/incident_types."),
    RawTable("incidentio", "custom_fields", description="GET /v2/custom_fields."),
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
    RawTable("pagerduty", "users", description="GET /users: name, email, time_zone."),
)

RAW_TABLES_BY_NAME: dict[str, RawTable] = {t.name: t for t in RAW_TABLES}


def tables_of(source: str) -> list[RawTable]:
    return [t for t in RAW_TABLES if t.source == source]
