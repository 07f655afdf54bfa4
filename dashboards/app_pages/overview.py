"""Overview: headline response metrics for the filtered period, monthly trends and the MTTR table."""

import streamlit as st

from dashboards import charts, data, definitions
from dashboards.filters import current_filters
from dashboards.formatting import format_duration, format_duration_delta

snapshot = data.current_snapshot()
assert snapshot is not None  # the entrypoint routes to the first-run page otherwise
info = data.snapshot_info(snapshot.path, snapshot.version)
filters = current_filters()
previous = filters.previous_period()
# Compare only with a previous period the snapshot fully covers; a partial one would fake a trend.
comparable = info.first_day is not None and previous.start >= info.first_day

current = data.headline(snapshot.path, snapshot.version, **filters.incident_args())
before = data.headline(snapshot.path, snapshot.version, **previous.incident_args()) if comparable else None

st.title("Overview")
severity_text = ", ".join(filters.severities) if filters.severities else "all severities"
st.caption(
    f"Incidents reported {filters.start:%d %b %Y} – {filters.end:%d %b %Y} (UTC, {filters.days} days), "
    f"{severity_text}"
    + (", including retrospective, test and tutorial incidents" if filters.include_non_standard else "")
    + ". Deltas compare with the previous "
    + (f"{filters.days} days." if comparable else "period, which the data does not cover.")
)

delta_description = f"vs prior {filters.days} d" if comparable else None
count_col, median_col, mean_col, p90_col = st.columns(4)
count_col.metric(
    "Incidents",
    current["incident_count"],
    delta=None if before is None else current["incident_count"] - before["incident_count"],
    delta_color="inverse",
    delta_description=delta_description,
    help=definitions.INCIDENT_COUNT,
    border=True,
)
for column, label, key, help_text in (
    (median_col, "MTTR median", "mttr_median_seconds", definitions.MTTR_MEDIAN),
    (mean_col, "MTTR mean", "mttr_mean_seconds", definitions.MTTR_MEAN),
    (p90_col, "MTTR p90", "mttr_p90_seconds", definitions.MTTR_P90),
):
    column.metric(
        label,
        format_duration(current[key]),
        delta=None if before is None else format_duration_delta(current[key], before[key]),
        delta_color="inverse",  # shorter is better
        delta_description=delta_description,
        help=help_text,
        border=True,
    )

monthly = data.monthly_by_severity(snapshot.path, snapshot.version, **filters.incident_args())
if monthly.empty:
    st.info("No incidents match the filters in this period.")
else:
    severity_order = list(info.severities)
    left, right = st.columns(2)
    left.altair_chart(charts.incidents_per_month(monthly, severity_order), width="stretch")
    right.altair_chart(charts.mttr_median_per_month(monthly, severity_order), width="stretch")

st.subheader("MTTR by month and severity")
st.caption(definitions.METRICS_MTTR_TABLE)
table = data.metrics_mttr(snapshot.path, snapshot.version, filters.start, filters.end, filters.severities)
hours = {
    c: c.replace("_seconds", "_hours")
    for c in ("mttr_mean_seconds", "mttr_median_seconds", "mttr_p90_seconds")
}
st.dataframe(
    table.assign(**{h: table[s] / 3600 for s, h in hours.items()}).drop(columns=list(hours)),
    hide_index=True,
    column_config={
        "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
        "severity_name": st.column_config.TextColumn("Severity"),
        "incident_count": st.column_config.NumberColumn("Incidents"),
        "resolved_count": st.column_config.NumberColumn("Resolved"),
        "mttr_mean_hours": st.column_config.NumberColumn("Mean (h)", format="%.1f"),
        "mttr_median_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
        "mttr_p90_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
    },
)
st.download_button(
    "Download CSV",
    table.to_csv(index=False).encode("utf-8"),  # the mart's own columns, durations in seconds
    file_name=f"metrics_mttr_{filters.start:%Y-%m-%d}_{filters.end:%Y-%m-%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
