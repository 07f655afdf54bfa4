"""Queries of the On-call page: hours by band, pages, MTTA by source, fairness, time to declare.

People are picked by the sidebar's team filter (`Filters.people_clause`) and the page's person filter
(`people`: lower-cased emails, empty for everyone). Weeks are ISO weeks in UTC (Monday dates).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.filters import Filters
from dashboards.snapshot import NO_SEVERITY, TEAM_MEMBERS, TEAMS, Snapshot
from dashboards.sql import query_snapshot, query_snapshot_row

BURDEN = "metrics_oncall_burden"
BURDEN_COLUMNS = (
    "person_email",
    "week",
    "oncall_hours",
    "business_hours",
    "off_hours",
    "sleep_hours",
    "page_count",
    "off_hours_page_count",
    "sleep_hour_page_count",
    "pages_outside_shift_count",
)
PAGES = "fct_pages"
PAGE_COLUMNS = (
    "page_id",
    "source",
    "person_email",
    "notified_at",
    "acknowledged_at",
    "is_sleep_hour",
    "during_oncall_shift",
)
DECLARE_COLUMNS = ("first_alert_at", "time_to_declare_seconds")
BANDS = ("business_hours", "off_hours", "sleep_hours")
# The on-call hours report (CSV): one row per person and ISO week, hours by band.
REPORT_COLUMNS = ("person_email", "name", "iso_week", "week_start", "oncall_hours", *BANDS)


def _params(filters: Filters, people: tuple[str, ...]) -> dict[str, Any]:
    return {
        **filters.params(),
        "start_day": filters.start,
        "end_day": filters.end,
        "all_people": not people,
        "people": list(people),
        "no_severity_label": NO_SEVERITY,
    }


def _people_filter(filters: Filters, column: str) -> str:
    return f"{filters.people_clause(column)} AND ($all_people OR list_contains($people::VARCHAR[], {column}))"


def _name(has_people: bool, email: str) -> tuple[str, str]:
    """(select expression, join clause) for a person's display name, when dim_people is there."""
    if not has_people:
        return f"{email} AS name", ""
    join = f"LEFT JOIN marts.dim_people AS p ON p.person_email = {email}"
    return f"coalesce(p.name, {email}) AS name", join


def oncall_people(snapshot: Snapshot, filters: Filters, has_people: bool) -> pd.DataFrame:
    """The people the team filter keeps with a `metrics_oncall_burden` row in the weeks overlapping the
    period (person_email, name), by name: the choices of the page's person filter."""
    name, join = _name(has_people, "b.person_email")
    return query_snapshot(
        snapshot,
        f"""
        SELECT DISTINCT b.person_email, {name}
        FROM marts.{BURDEN} AS b
        {join}
        WHERE b.week >= date_trunc('week', $start_day::DATE) AND b.week <= $end_day::DATE
          AND {filters.people_clause("b.person_email")} AND b.person_email IS NOT NULL
        ORDER BY name, b.person_email
        """,
        _params(filters, ()),
    )


def burden(snapshot: Snapshot, filters: Filters, people: tuple[str, ...], has_people: bool) -> pd.DataFrame:
    """`metrics_oncall_burden` rows (person × ISO week) of the weeks overlapping the period, with the
    person's name and the ISO week label (`iso_week`, e.g. 2025-W14; `week_start`, its Monday)."""
    name, join = _name(has_people, "b.person_email")
    return query_snapshot(
        snapshot,
        f"""
        SELECT b.person_email, {name}, strftime(b.week, '%G-W%V') AS iso_week, b.week AS week_start,
               b.oncall_hours, b.business_hours, b.off_hours, b.sleep_hours, b.page_count,
               b.off_hours_page_count, b.sleep_hour_page_count, b.pages_outside_shift_count
        FROM marts.{BURDEN} AS b
        {join}
        WHERE b.week >= date_trunc('week', $start_day::DATE) AND b.week <= $end_day::DATE
          AND {_people_filter(filters, "b.person_email")}
        ORDER BY b.week, name, b.person_email
        """,
        _params(filters, people),
    )


def timezone_coverage(snapshot: Snapshot, emails: list[str]) -> int:
    """How many of `emails` have a time zone in `dim_people` (the others' hours and pages are banded
    in UTC)."""
    row = query_snapshot_row(
        snapshot,
        "SELECT count(*) AS n FROM marts.dim_people WHERE timezone IS NOT NULL "
        "AND list_contains($emails::VARCHAR[], person_email)",
        {"emails": emails},
    )
    return int(row.get("n") or 0)


def hours_report(weekly: pd.DataFrame) -> pd.DataFrame:
    """The on-call hours report: `burden` rows with on-call hours, REPORT_COLUMNS only, by person then
    week (what teams use for on-call pay)."""
    rows = weekly[weekly["oncall_hours"].fillna(0) > 0] if not weekly.empty else weekly
    report = rows.loc[:, list(REPORT_COLUMNS)].sort_values(["person_email", "week_start"])
    return report.reset_index(drop=True)


def per_person(weekly: pd.DataFrame) -> pd.DataFrame:
    """`burden` totals per person: on-call weeks (weeks with on-call hours), hours by band, pages, and
    pages per on-call week (pages in weeks with on-call hours ÷ those weeks; None without such a week);
    most on-call hours first."""
    columns = ["person_email", "name", "oncall_weeks", "oncall_hours", *BANDS, "page_count"]
    columns += ["sleep_hour_page_count", "pages_outside_shift_count", "pages_per_oncall_week"]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    on_call = weekly["oncall_hours"].fillna(0) > 0
    frame = weekly.assign(
        oncall_week=on_call.astype(int), oncall_week_pages=weekly["page_count"].where(on_call, 0)
    )
    totals = frame.groupby(["person_email", "name"], as_index=False, dropna=False).agg(
        oncall_weeks=("oncall_week", "sum"),
        oncall_hours=("oncall_hours", "sum"),
        business_hours=("business_hours", "sum"),
        off_hours=("off_hours", "sum"),
        sleep_hours=("sleep_hours", "sum"),
        page_count=("page_count", "sum"),
        sleep_hour_page_count=("sleep_hour_page_count", "sum"),
        pages_outside_shift_count=("pages_outside_shift_count", "sum"),
        oncall_week_pages=("oncall_week_pages", "sum"),
    )
    weeks = totals["oncall_weeks"].where(totals["oncall_weeks"] > 0)
    totals["pages_per_oncall_week"] = totals["oncall_week_pages"] / weeks
    return (
        totals[columns]
        .sort_values(["oncall_hours", "person_email"], ascending=[False, True])
        .reset_index(drop=True)
    )


def _pages_cte(filters: Filters) -> str:
    return f"""
        WITH pages AS (
            SELECT *, epoch(acknowledged_at - notified_at) AS seconds_to_ack
            FROM marts.{PAGES}
            WHERE notified_at >= $start AND notified_at < $end_exclusive
              AND {_people_filter(filters, "person_email")}
        )
    """


def page_summary(snapshot: Snapshot, filters: Filters, people: tuple[str, ...]) -> dict[str, Any]:
    """Over the pages shown: page_count, sleep_hour_page_count, outside_shift_count, acknowledged_count
    and the median seconds to acknowledge (mtta_median_seconds)."""
    return query_snapshot_row(
        snapshot,
        f"""
        {_pages_cte(filters)}
        SELECT count(*) AS page_count,
               count(*) FILTER (WHERE is_sleep_hour) AS sleep_hour_page_count,
               count(*) FILTER (WHERE NOT during_oncall_shift) AS outside_shift_count,
               count(acknowledged_at) AS acknowledged_count,
               quantile_cont(seconds_to_ack, 0.5) AS mtta_median_seconds
        FROM pages
        """,
        _params(filters, people),
    )


def pages_per_week(snapshot: Snapshot, filters: Filters, people: tuple[str, ...]) -> pd.DataFrame:
    """Per ISO week of `notified_at` (UTC) and kind (`all pages`, `sleep-hour pages`, `outside any
    shift`): page_count, in long form for a chart."""
    return query_snapshot(
        snapshot,
        f"""
        {_pages_cte(filters)},
        weekly AS (
            SELECT date_trunc('week', notified_at)::DATE AS week,
                   count(*) AS all_pages,
                   count(*) FILTER (WHERE is_sleep_hour) AS sleep_pages,
                   count(*) FILTER (WHERE NOT during_oncall_shift) AS outside_pages
            FROM pages
            GROUP BY ALL
        )
        SELECT week, k.kind, k.page_count
        FROM weekly,
        LATERAL (VALUES ('all pages', all_pages), ('sleep-hour pages', sleep_pages),
                        ('outside any shift', outside_pages)) AS k(kind, page_count)
        ORDER BY week, k.kind
        """,
        _params(filters, people),
    )


def mtta_by_source(snapshot: Snapshot, filters: Filters, people: tuple[str, ...]) -> pd.DataFrame:
    """Per page source: page_count, acknowledged_count, ack_coverage (acknowledged ÷ pages) and the
    mean, median and p90 seconds from notification to acknowledgement (linear interpolation)."""
    return query_snapshot(
        snapshot,
        f"""
        {_pages_cte(filters)}
        SELECT source,
               count(*) AS page_count,
               count(acknowledged_at) AS acknowledged_count,
               count(acknowledged_at) / count(*) AS ack_coverage,
               avg(seconds_to_ack) AS mtta_mean_seconds,
               quantile_cont(seconds_to_ack, 0.5) AS mtta_median_seconds,
               quantile_cont(seconds_to_ack, 0.9) AS mtta_p90_seconds
        FROM pages
        GROUP BY source
        ORDER BY source
        """,
        _params(filters, people),
    )


def member_load(snapshot: Snapshot, filters: Filters, has_people: bool) -> pd.DataFrame:
    """Per team and member (`dim_team_members`) of the team picked (every team when none): on-call
    hours and sleep-hour pages summed over the weeks overlapping the period (0 without a burden row)."""
    name, join = _name(has_people, "m.person_email")
    return query_snapshot(
        snapshot,
        f"""
        WITH load AS (
            SELECT person_email, sum(oncall_hours) AS oncall_hours,
                   sum(sleep_hour_page_count) AS sleep_hour_page_count, sum(page_count) AS page_count
            FROM marts.{BURDEN}
            WHERE week >= date_trunc('week', $start_day::DATE) AND week <= $end_day::DATE
            GROUP BY person_email
        )
        SELECT m.team_id, coalesce(t.team_name, m.team_id) AS team_name, m.person_email, {name},
               coalesce(l.oncall_hours, 0) AS oncall_hours,
               coalesce(l.sleep_hour_page_count, 0) AS sleep_hour_page_count,
               coalesce(l.page_count, 0) AS page_count
        FROM marts.{TEAM_MEMBERS} AS m
        LEFT JOIN marts.{TEAMS} AS t ON t.team_id = m.team_id
        LEFT JOIN load AS l ON l.person_email = m.person_email
        {join}
        WHERE {filters.team_row_clause("m.team_id")}
        ORDER BY team_name, m.person_email
        """,
        _params(filters, ()),
    )


def gini(values: list[float] | pd.Series) -> float | None:
    """Gini coefficient of non-negative values: mean absolute difference over all ordered pairs ÷ (2 ×
    mean). 0 when all are equal; (n − 1) ÷ n when one value holds everything. None for no values or an
    all-zero total (nothing to share). Raises ValueError on a negative value."""
    xs = sorted(float(v) for v in values)
    if any(x < 0 for x in xs):
        raise ValueError("gini needs non-negative values")
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return None
    # Sorted form of sum_i sum_j |x_i - x_j| / (2 n^2 mean): sum_i (2i - n - 1) x_i / (n * total), i = 1..n.
    return sum((2 * i - n - 1) * x for i, x in enumerate(xs, start=1)) / (n * total)


def fairness(load: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From `member_load`: (per team: rota_size, oncall_hours, gini_oncall_hours, max_hours_share,
    sleep_hour_page_count, gini_sleep_pages, equal_share; per member on the rota: team, person, hours and
    sleep-page counts, hours_share, sleep_page_share, equal_share). The rota is the members with on-call
    hours or pages in the weeks shown; members without either are left out (not on any rota)."""
    member_columns = ["team_id", "team_name", "person_email", "name", "oncall_hours", "sleep_hour_page_count"]
    member_columns += ["hours_share", "sleep_page_share", "equal_share"]
    team_columns = ["team_id", "team_name", "rota_size", "oncall_hours", "gini_oncall_hours"]
    team_columns += ["max_hours_share", "sleep_hour_page_count", "gini_sleep_pages", "equal_share"]
    rota = load[(load["oncall_hours"] > 0) | (load["page_count"] > 0)] if not load.empty else load
    if rota.empty:
        return pd.DataFrame(columns=team_columns), pd.DataFrame(columns=member_columns)
    grouped = rota.groupby("team_id", sort=False)
    hours_total = grouped["oncall_hours"].transform("sum")
    sleep_total = grouped["sleep_hour_page_count"].transform("sum")
    members = rota.assign(
        hours_share=rota["oncall_hours"] / hours_total.where(hours_total > 0),
        sleep_page_share=rota["sleep_hour_page_count"] / sleep_total.where(sleep_total > 0),
        equal_share=1 / grouped["person_email"].transform("count"),
    )[member_columns]
    teams = [
        {
            "team_id": team_id,
            "team_name": group["team_name"].iloc[0],
            "rota_size": len(group),
            "oncall_hours": float(group["oncall_hours"].sum()),
            "gini_oncall_hours": gini(group["oncall_hours"]),
            "max_hours_share": group["hours_share"].max(),
            "sleep_hour_page_count": int(group["sleep_hour_page_count"].sum()),
            "gini_sleep_pages": gini(group["sleep_hour_page_count"]),
            "equal_share": 1 / len(group),
        }
        for team_id, group in members.groupby("team_id", sort=False)
    ]
    return (
        pd.DataFrame(teams, columns=team_columns).sort_values("team_name").reset_index(drop=True),
        members.reset_index(drop=True),
    )


def time_to_declare(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per month of reported_at (UTC) and severity, over the filtered incidents: incident_count,
    alerted_count (with `first_alert_at`), declare_count (with a valid `time_to_declare_seconds`), and
    its median and p90 (seconds, linear interpolation)."""
    return query_snapshot(
        snapshot,
        f"""
        WITH {filters.incidents_cte()}
        SELECT date_trunc('month', reported_at)::DATE AS month,
               coalesce(severity_name, $no_severity_label) AS severity,
               max(severity_rank) AS severity_rank,
               count(*) AS incident_count,
               count(first_alert_at) AS alerted_count,
               count(time_to_declare_seconds) AS declare_count,
               quantile_cont(time_to_declare_seconds, 0.5) AS declare_median_seconds,
               quantile_cont(time_to_declare_seconds, 0.9) AS declare_p90_seconds
        FROM filtered
        GROUP BY ALL
        ORDER BY month, severity_rank DESC NULLS LAST, severity
        """,
        _params(filters, ()),
    )
