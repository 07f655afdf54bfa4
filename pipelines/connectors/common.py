"""Record shaping shared by the connectors: what one row looks like, which sets a read covered, times.

Connectors name the entity a record is (`"incidents"`, `"messages"`…), never a warehouse table: the
ingest layer maps `(source, entity)` to its raw table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class CoveredSet:
    """A set the read returned whole, e.g. `("channel_history", ("C1",))` or `("actions", ())`:
    rows of that set the read did not return are gone at the source (docs/sync.md, "Deletions")."""

    name: str
    key: tuple[str, ...] = ()


@dataclass
class Batch:
    """Rows of one entity, the records that could not be keyed, and the sets read whole."""

    entity: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[str, str | None, str, Any]] = field(
        default_factory=list
    )  # endpoint, id, reason, payload
    covers: list[CoveredSet] = field(default_factory=list)

    def merge(self, other: Batch) -> None:
        """Add another batch of the same entity (rows, rejects and covered sets)."""
        self.rows.extend(other.rows)
        self.rejected.extend(other.rejected)
        self.covers.extend(other.covers)


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
    entity: str,
    records: list[Any],
    endpoint: str,
    keys: Callable[[dict[str, Any]], dict[str, Any]],
    id_of: Callable[[dict[str, Any]], Any] = lambda r: r.get("id"),
) -> Batch:
    """Turn API records into rows `{"id", **keys(record), "_record"}`; a record without an id, or whose
    keys cannot be read, is rejected with its payload."""
    batch = Batch(entity)
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
