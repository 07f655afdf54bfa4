"""Altair chart builders: pure functions from a query result to a chart (pages only place them)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboards.data import NO_SEVERITY
from dashboards.formatting import format_duration

_MONTH_AXIS = alt.Axis(format="%b %Y", labelAngle=-40)
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


def mttr_median_per_month(monthly: pd.DataFrame, severity_order: list[str]) -> alt.Chart:
    """Lines: median time to resolve per month and severity, in hours (tooltips in words)."""
    data = monthly.dropna(subset=["mttr_median_seconds"]).assign(
        mttr_median_hours=lambda df: df["mttr_median_seconds"] / 3600,
        mttr_median_text=lambda df: df["mttr_median_seconds"].map(format_duration),
    )
    return (
        alt.Chart(data, title="Median time to resolve by month and severity")
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month reported (UTC)", axis=_MONTH_AXIS),
            y=alt.Y("mttr_median_hours:Q", title="Median time to resolve (hours)"),
            color=_severity_color(severity_order),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("mttr_median_text:N", title="Median time to resolve"),
                alt.Tooltip("incident_count:Q", title="Incidents"),
            ],
        )
    )
