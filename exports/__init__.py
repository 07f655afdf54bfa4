"""Getting the marts out of the warehouse.

This package is export *code* only; the default export *destination* is `data/exports`
(`INCIDENT_LAKE_EXPORT_DIR`, see `pipelines.settings`), git-ignored like the warehouse itself.

- `exports.files.export_marts`: Parquet (Hive-partitioned by month for fact tables) or CSV files plus a
  `manifest.json`, swapped into place atomically; with it `exports.contracts` (a JSON Schema per model
  from the dbt contract), `exports.privacy` (`--hash-emails`) and `exports.snapshots` (`--snapshot` and
  restatements).
- `exports.publish.publish_marts`: a read-only DuckDB snapshot of the marts that the dashboard reads, so
  it never waits on (or sees half of) a sync or dbt build holding the warehouse's write lock.

Both are pure functions without Dagster imports; the Dagster assets and the CLI wrap them.
"""

from exports.files import export_marts
from exports.publish import publish_marts
from exports.warehouse import ExportError

__all__ = ["ExportError", "export_marts", "publish_marts"]
