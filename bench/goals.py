"""The goals of issue 15 (and the issue-7 target still kept), judged against a `bench/results.json` dict.

One place for every goal: `bench/run.py` prints `judge(results)` as a table after a run, and
`bench/report.py` writes the same rows into BENCHMARKS.md. A goal holds at one size (the size the issue
measured it at); a figure measured at another size is shown but not judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Results = dict[str, Any]
# (the figure, the size it was measured at); None when the results do not hold it.
Figure = tuple[float, str] | None


@dataclass(frozen=True)
class Goal:
    """One row of issue 15's table: `value op limit` at `size`, read from the results by `read`."""

    key: str  # stable id of the row (also the key in results["goals"])
    what: str  # the row, in the issue's words
    size: str  # the size the goal holds at
    op: Literal["<=", ">="]
    limit: float
    unit: str  # "s", "MB", "×"
    read: Callable[[Results], Figure]
    note: str = ""  # how the figure is made, when the row alone does not say

    def met(self, value: float) -> bool:
        """True when `value` meets the goal (see `meets`)."""
        return meets(self.op, self.limit, value)


def meets(op: str, limit: float, value: float) -> bool:
    """`value op limit`, for op `<=` or `>=` (both bounds inclusive, as the issue's ≤ and ≥)."""
    return value <= limit if op == "<=" else value >= limit


@dataclass(frozen=True)
class Verdict:
    """A goal against the results: `met` is None when the figure is missing or from another size."""

    goal: Goal
    value: float | None
    measured_size: str | None
    met: bool | None

    @property
    def status(self) -> str:
        """`met`, `missed`, `not measured at SIZE` (the goal's), or `not judged (measured at SIZE)`."""
        if self.value is None:
            return f"not measured at {self.goal.size}"
        if self.met is None:
            return f"not judged (measured at {self.measured_size})"
        return "met" if self.met else "missed"


def _section(results: Results, name: str) -> dict[str, Any]:
    return (results.get("sections") or {}).get(name) or {}


def _field(section: str, key: str) -> Callable[[Results], Figure]:
    """A figure of a section measured at one size (ingest, rate_limited, dashboard)."""

    def read(results: Results) -> Figure:
        data = _section(results, section)
        value = data.get(key)
        return None if value is None else (float(value), str(data.get("size")))

    return read


def _scaling(size: str, *path: str) -> Callable[[Results], Figure]:
    """A figure of section 5 at `size`: `sizes.<size>.<path…>`."""

    def read(results: Results) -> Figure:
        node: Any = (_section(results, "scaling").get("sizes") or {}).get(size)
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return None if node is None else (float(node), size)

    return read


def _growth(smaller: str, larger: str, key: str) -> Callable[[Results], Figure]:
    """A growth figure of section 5 between two sizes (attributed to the larger one)."""

    def read(results: Results) -> Figure:
        growth = (_section(results, "scaling").get("growth") or {}).get(f"{smaller}->{larger}") or {}
        value = growth.get(key)
        return None if value is None else (float(value), larger)

    return read


# "flat from default to large" (issue 15) read as: peak memory grows at most 1.25× for 10× the data.
FLAT_PER_10X = 1.25

GOALS: tuple[Goal, ...] = (
    Goal(
        "run_no_change_seconds",
        "`incident-lake run` when nothing changed at the source",
        "default", "<=", 10.0, "s",
        _scaling("default", "run_no_change", "seconds"),
        "median wall time of the command; its sync finds nothing new",
    ),
    Goal(
        "run_typical_hour_seconds",
        "`incident-lake run` after a typical hour (a few incidents updated, ~100 new messages)",
        "default", "<=", 20.0, "s",
        _scaling("default", "run_typical_hour", "seconds"),
        "median wall time of the command after the sandbox's `typical_hour` change",
    ),
    Goal(
        "build_seconds",
        "`incident-lake build` from scratch",
        "default", "<=", 25.0, "s",
        _scaling("default", "build", "seconds"),
        "wall time of the command on a new warehouse just synced",
    ),
    Goal(
        "build_peak_rss_mb",
        "`incident-lake build` peak memory",
        "large", "<=", 2000.0, "MB",
        _scaling("large", "build", "peak_rss_mb"),
        "the whole process tree, dbt included",
    ),
    Goal(
        "sync_peak_rss_mb",
        "`incident-lake sync` peak memory",
        "large", "<=", 1500.0, "MB",
        _scaling("large", "sync", "peak_rss_mb"),
        "a full sync into a new warehouse",
    ),
    Goal(
        "build_peak_rss_growth",
        "build peak memory from `default` to `large`, growth per 10× data (flat)",
        "large", "<=", FLAT_PER_10X, "×",
        _growth("default", "large", "build_peak_rss_mb_per_10x"),
        f"flat read as ≤ {FLAT_PER_10X:g}× per 10× the raw records",
    ),
    Goal(
        "sync_peak_rss_growth",
        "sync peak memory from `default` to `large`, growth per 10× data (flat)",
        "large", "<=", FLAT_PER_10X, "×",
        _growth("default", "large", "sync_peak_rss_mb_per_10x"),
        f"flat read as ≤ {FLAT_PER_10X:g}× per 10× the raw records",
    ),
    Goal(
        "dashboard_cold_seconds",
        "dashboard, slowest page settled on a first visit",
        "large", "<=", 1.0, "s",
        _field("dashboard", "slowest_first_seconds"),
        "headless Chromium, a fresh session per visit",
    ),
    Goal(
        "dashboard_warm_seconds",
        "dashboard, slowest page settled on a warm cache",
        "large", "<=", 0.3, "s",
        _field("dashboard", "slowest_warm_seconds"),
        "each page's best visit after its first",
    ),
    Goal(
        "ingest_vs_dlt_speedup",
        "ingest, records/s over dlt (section 1)",
        "default", ">=", 10.0, "×",
        _field("ingest", "ingest_vs_dlt_speedup"),
        "median of the interleaved rounds",
    ),
    Goal(
        "ingest_over_floor",
        "ingest time over the DuckDB `read_json` floor (section 2)",
        "default", "<=", 3.0, "×",
        _field("ingest", "ingest_over_floor"),
        "median of the interleaved rounds",
    ),
    Goal(
        "rate_limited_wall_over_bound",
        "wall time under the documented rate limits over the bound (section 4)",
        "default", "<=", 1.1, "×",
        _field("rate_limited", "rate_limited_wall_over_bound"),
        "sandbox budgets at 60× speed",
    ),
)  # fmt: skip

# Issue 7's memory target, still checked in the headline table (issue 15 adds none for it).
ISSUE7_TARGETS: dict[str, tuple[Literal["<=", ">="], float]] = {"ingest_vs_dlt_peak_rss_ratio": ("<=", 0.5)}


def headline_targets() -> dict[str, tuple[Literal["<=", ">="], float]]:
    """Targets of the headline keys of results.json: the goals that are headline keys, plus issue 7's."""
    return {**{g.key: (g.op, g.limit) for g in GOALS}, **ISSUE7_TARGETS}


def judge(results: Results) -> list[Verdict]:
    """Every goal against `results` (a results.json dict), in the issue's order."""
    verdicts = []
    for goal in GOALS:
        figure = goal.read(results)
        if figure is None:
            verdicts.append(Verdict(goal, None, None, None))
            continue
        value, size = figure
        verdicts.append(Verdict(goal, value, size, goal.met(value) if size == goal.size else None))
    return verdicts


def per_10x(ratio: float, records_ratio: float) -> float | None:
    """`ratio` (a growth from one size to the next) rescaled to 10× the data: ratio ** (1 / log10(q)),
    q the growth in records. None when q ≤ 1 (no growth to scale by) or ratio ≤ 0."""
    import math

    if records_ratio <= 1 or ratio <= 0:
        return None
    return float(ratio ** (1 / math.log10(records_ratio)))


def format_value(value: float | None, unit: str) -> str:
    """`12.3 s`, `1480 MB`, `9.43×`; `—` for a missing figure."""
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "×":
        return f"{value:.3g}×"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def format_goal(goal: Goal) -> str:
    """`≤ 10 s at default`."""
    op = "≤" if goal.op == "<=" else "≥"
    limit = f"{goal.limit:g}×" if goal.unit == "×" else f"{goal.limit:g} {goal.unit}"
    return f"{op} {limit} at `{goal.size}`"
