"""dbt's per-run target folders are pruned to the newest few, so hourly runs do not fill the disk."""

import os
from pathlib import Path

from pipelines.defs.transform import assets


def test_only_the_newest_run_folders_are_kept(tmp_path: Path) -> None:
    runs = []
    for age in range(8):
        run = tmp_path / f"incident_lake_dbt_models-run{age}-abc"
        run.mkdir()
        (run / "dbt.log").write_text("log")
        os.utime(run, (1_000_000 - age * 60, 1_000_000 - age * 60))
        runs.append(run)
    other = tmp_path / "manifest.json"
    other.write_text("{}")
    unrelated = tmp_path / "partial_parse_dir"
    unrelated.mkdir()

    assets._prune_run_targets(runs[0])

    kept = sorted(p.name for p in tmp_path.glob("incident_lake_dbt_models-*"))
    assert kept == sorted(r.name for r in runs[: assets.RUN_TARGETS_KEPT])
    assert other.exists() and unrelated.exists()
