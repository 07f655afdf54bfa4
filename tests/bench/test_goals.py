"""Issue 15's goals against a results dict: the value read at the goal's size, met/missed, the table."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from bench.goals import GOALS, Verdict, headline_targets, judge, per_10x
from bench.report import goals_json, goals_markdown, markdown
from bench.sections import growth, page_row


def _step(seconds: float, peak: float) -> dict[str, float]:
    return {"seconds": seconds, "peak_rss_mb": peak}


def _size(records: int, sync: float, build: float, peak: float, no_change: float, hour: float) -> dict:
    return {
        "raw_records": records,
        "warehouse_mb": 1.0,
        "sync": _step(sync, peak),
        "build": _step(build, peak),
        "export": _step(1.0, 100.0),
        "run_no_change": {**_step(no_change, 300.0), "all_seconds": [no_change]},
        "run_typical_hour": {**_step(hour, 400.0), "all_seconds": [hour]},
        "typical_hour": {"updated_incidents": 3, "new_messages": 100},
    }


def _results(**overrides: Any) -> dict[str, Any]:
    """A results.json with every goal's figure: the run and build goals met at `default`, the memory
    goals missed at `large`, the dashboard met cold and missed warm, the ingest goals one of each."""
    sizes = {
        "default": _size(100_000, 10.0, 24.0, 1000.0, 9.5, 21.0),
        "large": _size(1_000_000, 50.0, 60.0, 2500.0, 30.0, 40.0),
    }
    results: dict[str, Any] = {
        "machine": "test machine",
        "sections": {
            "scaling": {"sizes": sizes, "growth": growth(sizes, ["default", "large"]), "rounds": 1},
            "dashboard": {
                "size": "large",
                "repeat": 2,
                "pages": [],
                "slowest_first_seconds": 0.9,
                "slowest_warm_seconds": 0.31,
            },
            "ingest": {"size": "default", "ingest_vs_dlt_speedup": 10.0, "ingest_over_floor": 3.2},
            "rate_limited": {"size": "default", "rate_limited_wall_over_bound": 1.05},
        },
    }
    results["sections"].update(overrides)
    return results


def _by_key(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.goal.key: v for v in verdicts}


def test_every_goal_is_judged_met_or_missed_at_its_size() -> None:
    verdicts = _by_key(judge(_results()))
    assert set(verdicts) == {g.key for g in GOALS}
    expected = {
        "run_no_change_seconds": (9.5, True),
        "run_typical_hour_seconds": (21.0, False),
        "build_seconds": (24.0, True),
        "build_peak_rss_mb": (2500.0, False),
        "sync_peak_rss_mb": (2500.0, False),
        "build_peak_rss_growth": (2.5, False),  # 2500 / 1000 for exactly 10× the records
        "sync_peak_rss_growth": (2.5, False),
        "dashboard_cold_seconds": (0.9, True),
        "dashboard_warm_seconds": (0.31, False),
        "ingest_vs_dlt_speedup": (10.0, True),  # ≥ 10: the bound itself meets the goal
        "ingest_over_floor": (3.2, False),
        "rate_limited_wall_over_bound": (1.05, True),
    }
    assert {k: (v.value, v.met) for k, v in verdicts.items()} == expected
    assert verdicts["run_typical_hour_seconds"].status == "missed"
    assert verdicts["run_no_change_seconds"].status == "met"


def test_a_figure_from_another_size_is_shown_not_judged_and_a_missing_one_is_not_measured() -> None:
    small_only = {"sizes": {"small": _size(5_000, 3.0, 20.0, 500.0, 5.0, 8.0)}, "growth": {}}
    results = _results(
        scaling=small_only,
        ingest={"size": "small", "ingest_vs_dlt_speedup": 12.0, "ingest_over_floor": 2.0},
    )
    results["sections"].pop("dashboard")
    verdicts = _by_key(judge(results))
    assert verdicts["ingest_vs_dlt_speedup"].value == 12.0
    assert verdicts["ingest_vs_dlt_speedup"].met is None
    assert verdicts["ingest_vs_dlt_speedup"].status == "not judged (measured at small)"
    for key in ("run_no_change_seconds", "build_peak_rss_mb", "dashboard_warm_seconds"):
        assert verdicts[key].value is None
        assert verdicts[key].status == f"not measured at {verdicts[key].goal.size}"
    assert verdicts["rate_limited_wall_over_bound"].met is True


def test_the_goals_table_says_met_and_missed_and_counts_them() -> None:
    results = _results()
    table = goals_markdown(results)
    rows = {line.split(" | ")[0].lstrip("| ").split(" (")[0]: line for line in table if line.startswith("| ")}
    no_change = rows["`incident-lake run` when nothing changed at the source"]
    assert "| 9.50 s | ≤ 10 s at `default` | met |" in no_change
    assert "| 21.0 s | ≤ 20 s at `default` | **missed** |" in rows["`incident-lake run` after a typical hour"]
    assert "| 2500 MB | ≤ 2000 MB at `large` | **missed** |" in rows["`incident-lake build` peak memory"]
    assert "| 10× | ≥ 10× at `default` | met |" in rows["ingest, records/s over dlt"]
    assert "5 of 12 judged goals met" in "\n".join(table)
    scaling_only = {"machine": "m", "sections": {"scaling": results["sections"]["scaling"]}}
    page = markdown(scaling_only)
    assert page.index("### Goals (issue 15)") < page.index("### 5. Scaling")
    assert "| run, nothing changed | run, a typical hour |" in page
    stored = {g["key"]: g for g in goals_json(results)}
    assert stored["dashboard_warm_seconds"]["status"] == "missed"
    assert stored["dashboard_warm_seconds"]["goal"] == "≤ 0.3 s at `large`"


def test_headline_targets_come_from_the_goals() -> None:
    targets = headline_targets()
    assert targets["ingest_vs_dlt_speedup"] == (">=", 10.0)
    assert targets["rate_limited_wall_over_bound"] == ("<=", 1.1)
    assert targets["ingest_vs_dlt_peak_rss_ratio"] == ("<=", 0.5)


def test_growth_per_10x_data() -> None:
    assert per_10x(2.0, 10.0) == pytest.approx(2.0)
    assert per_10x(4.0, 100.0) == pytest.approx(2.0)  # 2× per 10×, twice
    assert per_10x(2.0, 1.0) is None
    sizes = {
        "small": _size(1_000, 2.0, 10.0, 200.0, 1.0, 2.0),
        "default": _size(30_000, 4.0, 20.0, 400.0, 1.0, 3.0),
    }
    g = growth(sizes, ["small", "default"])["small->default"]
    assert g["records"] == 30.0
    assert g["sync_seconds"] == 2.0
    assert g["sync_seconds_per_10x"] == pytest.approx(2 ** (1 / math.log10(30)), abs=0.01)
    assert g["run_no_change_seconds"] == 1.0 and g["run_no_change_seconds_per_10x"] == 1.0


def test_a_page_row_takes_the_first_visit_as_cold_and_the_best_later_one_as_warm() -> None:
    timing = SimpleNamespace(url="u", title="Overview", seconds=0.2, all_seconds=(1.4, 0.3, 0.2), errors=0)
    row = page_row(timing)
    assert (row["first_seconds"], row["warm_seconds"], row["best_seconds"]) == (1.4, 0.2, 0.2)
    single = page_row(SimpleNamespace(url="u", title="t", seconds=0.5, all_seconds=(0.5,), errors=1))
    assert single["warm_seconds"] is None and single["errors"] == 1
