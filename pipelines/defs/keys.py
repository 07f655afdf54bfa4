"""Asset keys that more than one domain names (the dbt build plans around its consumers)."""

import dagster as dg

SNAPSHOT_KEY = dg.AssetKey(["published", "marts_snapshot"])
FILE_EXPORT_KEY = dg.AssetKey(["exports", "marts_files"])
POSTGRES_KEY = dg.AssetKey(["exports", "postgres_warehouse"])
