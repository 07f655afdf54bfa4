"""Record shaping shared by the connectors: what one raw row looks like, and time parsing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipelines.warehouse.raw_tables import RawTable


@dataclass
class Batch:
    """Rows for one raw table, plus the records that could not be keyed."""

    table: RawTable
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[str, str | None, str, Any]] = field(
        default_factory=list
    )  # endpoint, id, reason, payload


@dataclass(frozen=True)
class ApiTotal:
    """How many records the API said a listing holds (`total_record_count`, PagerDuty `total=true`):
    what the raw table must hold where `column` is in [since, until) (None: unbounded)."""

    entity: str
    column: str | None
    since: datetime | None
    until: datetime | None
    total: int


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 (with `Z`) to an aware UTC datetime; None for empty or unparsable values."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def slack_ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def shape_records(
    table: RawTable,
    records: list[Any],
    endpoint: str,
    keys: Callable[[dict[str, Any]], dict[str, Any]],
    id_of: Callable[[dict[str, Any]], Any] = lambda r: r.get("id"),
) -> Batch:
    """Turn API records into raw rows; a record without an id is rejected with its payload."""
    batch = Batch(table)
    for record in records:
        if not isinstance(record, dict):
            batch.rejected.append((endpoint, None, "record is not a JSON object", record))
            continue
        record_id = id_of(record)
        if record_id in (None, ""):
            batch.rejected.append((endpoint, None, "record has no id", record))
            continue
        try:
            row = keys(record)
        except (KeyError, TypeError, ValueError) as error:
            batch.rejected.append((endpoint, str(record_id), f"cannot read key fields: {error!r}", record))
            continue
        batch.rows.append({"id": str(record_id), **row, "_record": record})
    return batch


BatchStream = Iterator[Batch]
