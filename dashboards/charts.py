"""Altair chart builders: pure functions from a query result to a chart (pages only place them)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboards.formatting import format_duration
from dashboards.snapshot import NO_SEVERITY

_MONTH_AXIS = alt.Axis(format="%b %Y", labelAngle=-40)
_CATEGORY_AXIS = alt.Axis(labelAngle=0)
# Most severe first, darkest red first; incidents without a severity in grey.
_SEVERITY_PALETTE = ("#7f0000", "#d7301f", "#fc8d59", "#fdbb84", "#fdd49e", "#fff7ec")
_NO_SEVERITY_COLOR = "#9e9e9e"


def _severity_color(severity_order: list[str]) -> alt.Color:
    """One stable color per severity (same colors whatever the filters keep)."""
    named = [s for s in severity_order if s != NO_SEVERITY]
    colors = [_SEVERITY_PALETTE[min(i, len(_SEVERITY_PALETTE) - 1)] for i in range(len(named))]
    if NO_SEVERITY in severity_order:
        named, colors = [*named, NO_SEVERITY], [*colors, _NO_SEVERITY_COLOR]
    return alt.Color("severity:N", title="Severity", sort=named, scale=alt.Scale(domain=named, range=colors))


def incidents_per_month(monthly: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Stacked bars: incidents per month, by severity (most severe at the bottom)."""
    data = monthly.assign(
        severity_order=monthly["severity"].map({s: i for i, s in enumerate(severity_order)})
    )
    return (
        alt.Chart(data, title="Incidents per month by severity")
        .mark_bar()
        .encode(
            # Ordinal months: one labelled band per bar.
            x=alt.X("yearmonth(month):O", title="Month reported (UTC)", axis=_MONTH_AXIS),
            y=alt.Y("sum(incident_count):Q", title="Incidents", stack="zero"),
            color=_severity_color(severity_order),
            order=alt.Order("severity_order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("sum(incident_count):Q", title="Incidents"),
            ],
        )
    )


def _median_duration_per_month(
    monthly: pd.DataFrame,
    severity_order: list[str],
    *,
    seconds: str,
    count: str,
    what: str,
    count_title: str,
    title: str,
    unit: tuple[str, float],
) -> alt.Chart:
    """Lines: the median duration in column `seconds` per month and severity, on an axis in `unit`
    ((name, seconds per unit)); tooltips say the duration in words and the sample size (`count`)."""
    unit_name, unit_seconds = unit
    data = monthly.dropna(subset=[seconds]).assign(
        median_value=lambda df: df[seconds] / unit_seconds,
        median_text=lambda df: df[seconds].map(format_duration),
    )
    return (
        alt.Chart(data, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month reported (UTC)", axis=_MONTH_AXIS),
            y=alt.Y("median_value:Q", title=f"Median {what} ({unit_name})"),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("median_text:N", title=f"Median {what}"),
                alt.Tooltip(f"{count}:Q", title=count_title),
            ],
        )
    )


def mttr_median_per_month(monthly: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Lines: median time to resolve per month and severity, in hours (tooltips in words)."""
    return _median_duration_per_month(
        monthly,
        severity_order,
        seconds="mttr_median_seconds",
        count="incident_count",
        what="time to resolve",
        count_title="Incidents",
        title="Median time to resolve by month and severity",
        unit=("hours", 3600),
    )


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SOURCE_COLORS = alt.Scale(
    domain=["incidentio", "slack", "zoom", "pagerduty"], range=["#f25533", "#4a154b", "#2d8cff", "#06ac38"]
)


def severity_distribution(by_severity: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Bars: incidents per current severity, most severe first."""
    data = by_severity.assign(incident_percent=by_severity["incident_share"] * 100)
    return (
        alt.Chart(data, title="Incidents by severity")
        .mark_bar()
        .encode(
            x=alt.X("severity:N", title="Severity", sort=severity_order, axis=_CATEGORY_AXIS),
            y=alt.Y("incident_count:Q", title="Incidents"),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("incident_count:Q", title="Incidents"),
                alt.Tooltip("incident_percent:Q", title="Share (%)", format=".1f"),
            ],
        )
    )


def mttr_by_severity(by_severity: pd.DataFrame, severity_order: list[str]) -> alt.LayerChart:
    """Median time to resolve per severity (points) with its 95% confidence interval (rules)."""
    data = by_severity.dropna(subset=["mttr_median_seconds"]).assign(
        median_hours=lambda df: df["mttr_median_seconds"] / 3600,
        ci_low_hours=lambda df: df["median_ci_low_seconds"] / 3600,
        ci_high_hours=lambda df: df["median_ci_high_seconds"] / 3600,
        median_text=lambda df: df["mttr_median_seconds"].map(format_duration),
        ci_text=lambda df: (
            df["median_ci_low_seconds"].map(format_duration)
            + " – "
            + df["median_ci_high_seconds"].map(format_duration)
        ),
    )
    base = alt.Chart(data, title="Median time to resolve by severity (95% confidence interval)")
    x = alt.X("severity:N", title="Severity", sort=severity_order, axis=_CATEGORY_AXIS)
    tooltip = [
        alt.Tooltip("severity:N", title="Severity"),
        alt.Tooltip("median_text:N", title="Median time to resolve"),
        alt.Tooltip("ci_text:N", title="95% confidence interval"),
        alt.Tooltip("incident_count:Q", title="Incidents"),
    ]
    rules = base.mark_rule(strokeWidth=2).encode(
        x=x,
        y=alt.Y("ci_low_hours:Q", title="Median time to resolve (hours)"),
        y2="ci_high_hours:Q",
        color=_severity_color(severity_order),
        tooltip=tooltip,
    )
    points = base.mark_point(filled=True, size=120).encode(
        x=x, y=alt.Y("median_hours:Q"), color=_severity_color(severity_order), tooltip=tooltip
    )
    return rules + points  # a LayerChart (alt.layer's stub also admits a FacetChart)


def time_at_severity(periods: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Bars: total hours the filtered incidents spent at each severity."""
    data = periods.assign(
        total_hours=periods["total_seconds"] / 3600,
        median_text=periods["median_seconds_per_incident"].map(format_duration),
    )
    return (
        alt.Chart(data, title="Time spent at each severity")
        .mark_bar()
        .encode(
            x=alt.X("severity:N", title="Severity", sort=severity_order, axis=_CATEGORY_AXIS),
            y=alt.Y("total_hours:Q", title="Total time at severity (hours)"),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("total_hours:Q", title="Total (hours)", format=",.1f"),
                alt.Tooltip("incident_count:Q", title="Incidents that held it"),
                alt.Tooltip("median_text:N", title="Median per incident"),
            ],
        )
    )


def horizontal_bars(
    data: pd.DataFrame,
    category: str,
    value: str,
    title: str,
    category_title: str,
    value_title: str,
    value_format: str = ",.0f",
) -> alt.Chart:
    """Horizontal bars sorted by value (for people and roles)."""
    return (
        alt.Chart(data, title=title)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y(f"{category}:N", title=category_title, sort="-x", axis=alt.Axis(labelLimit=220)),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=value_title, format=value_format),
            ],
        )
    )


def workload_heatmap(weekly: pd.DataFrame) -> alt.Chart:
    """Person × week heatmap of workload hours."""
    data = weekly.assign(workload_hours=weekly["workload_minutes"] / 60)
    return (
        alt.Chart(data, title="Workload per person and week (hours)")
        .mark_rect()
        .encode(
            x=alt.X(
                "yearmonthdate(week):O",
                title="Week (starting Monday, UTC)",
                axis=alt.Axis(format="%d %b", labelAngle=-40),
            ),
            y=alt.Y("name:N", title="Person", sort="-color"),
            color=alt.Color("workload_hours:Q", title="Workload (h)", scale=alt.Scale(scheme="oranges")),
            tooltip=[
                alt.Tooltip("name:N", title="Person"),
                alt.Tooltip("yearmonthdate(week):T", title="Week of", format="%d %b %Y"),
                alt.Tooltip("workload_hours:Q", title="Workload (h)", format=".1f"),
                alt.Tooltip("slack_message_count:Q", title="Slack messages"),
                alt.Tooltip("zoom_minutes:Q", title="Zoom minutes", format=".0f"),
                alt.Tooltip("page_count:Q", title="Pages"),
                alt.Tooltip("sleep_hour_page_count:Q", title="Sleep-hour pages"),
            ],
        )
    )


def page_heatmap(pages: pd.DataFrame) -> alt.Chart:
    """Weekday × local hour heatmap of pages; sleep hours (22:00–08:00) outlined."""
    full = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    data = (
        pages.set_index(["weekday", "hour"])["page_count"].reindex(full, fill_value=0).reset_index()
        if not pages.empty
        else full.to_frame(index=False).assign(page_count=0)
    )
    data = data.assign(
        day=data["weekday"].map(lambda d: _WEEKDAYS[int(d) - 1]),
        band=[
            "sleep hours" if h >= 22 or h < 8 else ("out of hours" if d >= 6 or h >= 18 else "working hours")
            for d, h in zip(data["weekday"], data["hour"], strict=True)
        ],
    )
    return (
        alt.Chart(data, title="Pages by local weekday and hour")
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("hour:O", title="Hour of day (person's local time)"),
            y=alt.Y("day:N", title="Weekday", sort=list(_WEEKDAYS)),
            color=alt.Color("page_count:Q", title="Pages", scale=alt.Scale(scheme="reds")),
            tooltip=[
                alt.Tooltip("day:N", title="Weekday"),
                alt.Tooltip("hour:O", title="Hour"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("page_count:Q", title="Pages"),
            ],
        )
    )


def open_follow_ups_by_age(open_rows: pd.DataFrame, buckets: tuple[str, ...]) -> alt.Chart:
    """Stacked bars: open follow-ups per age bucket, by priority."""
    return (
        alt.Chart(open_rows, title="Open follow-ups by age")
        .mark_bar()
        .encode(
            x=alt.X("age_bucket:N", title="Age (since created)", sort=list(buckets), axis=_CATEGORY_AXIS),
            y=alt.Y("count():Q", title="Open follow-ups"),
            color=alt.Color("priority_name:N", title="Priority"),
            tooltip=[
                alt.Tooltip("age_bucket:N", title="Age"),
                alt.Tooltip("priority_name:N", title="Priority"),
                alt.Tooltip("count():Q", title="Open follow-ups"),
            ],
        )
    )


def completion_by_severity(rates: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Bars: follow-up completion rate per severity."""
    data = rates.dropna(subset=["completion_rate"])
    return (
        alt.Chart(data, title="Follow-up completion rate by severity")
        .mark_bar()
        .encode(
            x=alt.X("severity:N", title="Severity of the incident", sort=severity_order, axis=_CATEGORY_AXIS),
            y=alt.Y(
                "completion_rate:Q",
                title="Completed",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("completion_rate:Q", title="Completion rate", format=".0%"),
                alt.Tooltip("completed_count:Q", title="Completed"),
                alt.Tooltip("follow_up_count:Q", title="Follow-ups (not deleted)"),
            ],
        )
    )


def coverage_per_month(coverage: pd.DataFrame) -> alt.Chart:
    """Lines: share of incidents with the data each metric needs, per month."""
    return (
        alt.Chart(coverage, title="Data coverage per metric and month")
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month", axis=_MONTH_AXIS),
            y=alt.Y(
                "coverage:Q",
                title="Incidents with the data",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("metric:N", title="Metric"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                alt.Tooltip("metric:N", title="Metric"),
                alt.Tooltip("coverage:Q", title="Coverage", format=".0%"),
            ],
        )
    )


def timeline_events(events: pd.DataFrame) -> alt.Chart:
    """One tick per event, a row per tool, over the incident's life."""
    return (
        alt.Chart(events, title="Events by tool over time (UTC)")
        .mark_tick(thickness=2, size=18)
        .encode(
            x=alt.X("occurred_at:T", title="Time (UTC)"),
            y=alt.Y("source:N", title="Tool", sort=["incidentio", "pagerduty", "slack", "zoom"]),
            color=alt.Color("source:N", title="Tool", scale=_SOURCE_COLORS),
            tooltip=[
                alt.Tooltip("occurred_at:T", title="When (UTC)", format="%d %b %H:%M:%S"),
                alt.Tooltip("source:N", title="Tool"),
                alt.Tooltip("event_type:N", title="Event"),
                alt.Tooltip("person:N", title="Person"),
            ],
        )
    )


_BAND_COLORS = alt.Scale(
    domain=["business hours", "off hours", "sleep hours"], range=["#9ecae1", "#fd8d3c", "#54278f"]
)


def team_mttr_side_by_side(per_team: pd.DataFrame) -> alt.HConcatChart:
    """Two bar charts sharing the team axis: incidents per team, and median time to resolve per team."""
    data = per_team.assign(
        mttr_median_hours=per_team["mttr_median_seconds"] / 3600,
        mttrmedian_text=per_team["mttr_median_seconds"].map(format_duration),
    )
    order = list(data["team_name"])
    y = alt.Y("team_name:N", title="Team", sort=order, axis=alt.Axis(labelLimit=200))
    tooltip = [
        alt.Tooltip("team_name:N", title="Team"),
        alt.Tooltip("incident_count:Q", title="Incidents"),
        alt.Tooltip("mttrmedian_text:N", title="Median time to resolve"),
    ]
    counts = (
        alt.Chart(data, title="Incidents per team")
        .mark_bar(color="#4c78a8")
        .encode(y=y, x=alt.X("incident_count:Q", title="Incidents"), tooltip=tooltip)
    )
    medians = (
        alt.Chart(data, title="Median time to resolve per team (hours)")
        .mark_bar(color="#e45756")
        .encode(
            y=alt.Y("team_name:N", sort=order, axis=None),
            x=alt.X("mttr_median_hours:Q", title="Median time to resolve (hours)"),
            tooltip=tooltip,
        )
    )
    return alt.hconcat(counts, medians)


def team_workload_heatmap(weekly: pd.DataFrame) -> alt.Chart:
    """Team × ISO week heatmap of incident hours (the members' workload)."""
    return (
        alt.Chart(weekly, title="Incident hours per team and week (members' workload)")
        .mark_rect()
        .encode(
            x=alt.X(
                "yearmonthdate(week):O",
                title="Week (starting Monday, UTC)",
                axis=alt.Axis(format="%d %b", labelAngle=-40),
            ),
            y=alt.Y("team_name:N", title="Team"),
            color=alt.Color("workload_hours:Q", title="Hours", scale=alt.Scale(scheme="oranges")),
            tooltip=[
                alt.Tooltip("team_name:N", title="Team"),
                alt.Tooltip("yearmonthdate(week):T", title="Week of", format="%d %b %Y"),
                alt.Tooltip("workload_hours:Q", title="Incident hours", format=".1f"),
                alt.Tooltip("incident_count:Q", title="Incidents"),
                alt.Tooltip("page_count:Q", title="Pages"),
                alt.Tooltip("sleep_hour_page_count:Q", title="Sleep-hour pages"),
            ],
        )
    )


def completion_rates(data: pd.DataFrame, category: str, category_title: str, title: str) -> alt.Chart:
    """Grouped bars: the three completion rates (post-mortem written, completed, follow-ups completed)
    per category (a team, or a month)."""
    labels = {
        "postmortem_rate": "with a post-mortem",
        "postmortem_completed_rate": "post-mortem completed",
        "follow_up_completed_rate": "follow-ups completed",
    }
    long = data.melt(id_vars=[category], value_vars=list(labels), var_name="rate", value_name="share")
    long = long.assign(rate=long["rate"].map(labels)).dropna(subset=["share"])
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=category_title, axis=alt.Axis(labelLimit=200)),
            yOffset=alt.YOffset("rate:N", sort=list(labels.values())),
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("rate:N", title="Rate", sort=list(labels.values())),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip("rate:N", title="Rate"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )
    )


def completion_per_month(data: pd.DataFrame, severity_order: list[str], value: str, title: str) -> alt.Chart:
    """Lines: a completion rate (`value`, 0–1) per month of resolution and severity."""
    return (
        alt.Chart(data.dropna(subset=[value]), title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month resolved (UTC)", axis=_MONTH_AXIS),
            y=alt.Y(f"{value}:Q", title="Share", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip(f"{value}:Q", title="Share", format=".0%"),
                alt.Tooltip("resolved_count:Q", title="Resolved incidents"),
            ],
        )
    )


def oncall_hours_per_week(weekly: pd.DataFrame) -> alt.Chart:
    """Stacked bars: on-call hours per ISO week split into business, off and sleep hours."""
    bands = ["business_hours", "off_hours", "sleep_hours"]
    totals = weekly.groupby("week_start", as_index=False)[bands].sum()
    long = totals.melt(id_vars=["week_start"], var_name="band", value_name="hours")
    long = long.assign(band=long["band"].str.replace("_", " "))
    return (
        alt.Chart(long, title="On-call hours per week by band")
        .mark_bar()
        .encode(
            x=alt.X(
                "yearmonthdate(week_start):O",
                title="Week (starting Monday, UTC)",
                axis=alt.Axis(format="%d %b", labelAngle=-40),
            ),
            y=alt.Y("hours:Q", title="On-call hours", stack="zero"),
            color=alt.Color("band:N", title="Band", scale=_BAND_COLORS),
            tooltip=[
                alt.Tooltip("yearmonthdate(week_start):T", title="Week of", format="%d %b %Y"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("hours:Q", title="Hours", format=",.1f"),
            ],
        )
    )


def pages_per_week(weekly: pd.DataFrame) -> alt.Chart:
    """Lines: pages per ISO week, sleep-hour pages and pages outside any shift."""
    return (
        alt.Chart(weekly, title="Pages per week")
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "yearmonthdate(week):T", title="Week (starting Monday, UTC)", axis=alt.Axis(format="%d %b")
            ),
            y=alt.Y("page_count:Q", title="Pages"),
            color=alt.Color(
                "kind:N",
                title="Pages",
                scale=alt.Scale(
                    domain=["all pages", "sleep-hour pages", "outside any shift"],
                    range=["#4c78a8", "#54278f", "#e45756"],
                ),
            ),
            tooltip=[
                alt.Tooltip("yearmonthdate(week):T", title="Week of", format="%d %b %Y"),
                alt.Tooltip("kind:N", title="Pages"),
                alt.Tooltip("page_count:Q", title="Count"),
            ],
        )
    )


def member_shares(members: pd.DataFrame, value: str, title: str, value_title: str) -> alt.LayerChart:
    """Horizontal bars of each member's share (`value`, 0–1) with a rule at the equal share."""
    data = members.dropna(subset=[value])
    bars = (
        alt.Chart(data, title=title)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("name:N", title="Member", sort="-x", axis=alt.Axis(labelLimit=200)),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("name:N", title="Member"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=".0%"),
                alt.Tooltip("equal_share:Q", title="Equal share", format=".0%"),
            ],
        )
    )
    rule = (
        alt.Chart(data.head(1))
        .mark_rule(color="#e45756", strokeDash=[4, 3], strokeWidth=2)
        .encode(x="equal_share:Q", tooltip=[alt.Tooltip("equal_share:Q", title="Equal share", format=".0%")])
    )
    return bars + rule


def time_to_declare_per_month(monthly: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Lines: median minutes from first alert to declared incident per month and severity."""
    return _median_duration_per_month(
        monthly,
        severity_order,
        seconds="declare_median_seconds",
        count="declare_count",
        what="time to declare",
        count_title="Incidents with an alert",
        title="Median time from first alert to declared incident",
        unit=("minutes", 60),
    )
