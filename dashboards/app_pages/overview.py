"""Overview: headline response metrics for the filtered period, monthly trends and the MTTR table."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration, format_duration_delta
from dashboards.queries import overview as queries

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
previous = filters.previous_period()
# Compare only with a previous period the snapshot fully covers; a partial one would fake a trend.
comparable = info.first_day is not None and previous.start >= info.first_day

current = queries.headline(snapshot, info, filters)
before = queries.headline(snapshot, info, previous) if comparable else None

components.page_header(
    "Overview",
    ctx,
    "Deltas compare with the previous "
    + (f"{filters.days} days." if comparable else "period, which the data does not cover."),
)

delta_description = f"vs prior {filters.days} d" if comparable else None
count_col, median_col, mean_col, p90_col = st.columns(4)
count_col.metric(
    "Incidents",
    current["incident_count"],
    delta=None if before is None else current["incident_count"] - before["incident_count"],
    delta_color="inverse",
    delta_description=delta_description,
    help=ctx.help(definitions.INCIDENT_COUNT),
    border=True,
)
for column, label, key, help_text in (
    (median_col, "MTTR median", "mttr_median_seconds", ctx.help(definitions.MTTR_MEDIAN)),
    (mean_col, "MTTR mean", "mttr_mean_seconds", ctx.help(definitions.MTTR_MEAN)),
    (p90_col, "MTTR p90", "mttr_p90_seconds", ctx.help(definitions.MTTR_P90)),
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

ci_low, ci_high = current["median_ci_low_seconds"], current["median_ci_high_seconds"]
if ci_low is not None and ci_high is not None:
    st.caption(
        f"MTTR median 95% confidence interval: {format_duration(ci_low)} – {format_duration(ci_high)} "
        f"({current['duration_count']} incidents with a duration).",
        help=ctx.help(definitions.MEDIAN_CI),
    )
elif current["ranks_cover_sample"]:  # dbt's table lists the sample size, without ranks: too small
    st.caption(
        f"Too few durations ({current['duration_count']}) for a confidence interval of the median.",
        help=ctx.help(definitions.MEDIAN_CI),
    )
else:
    st.caption(
        "No confidence interval for the median: dbt's rank table (`marts.dim_median_confidence_ranks`) "
        f"does not list a sample of {current['duration_count']} durations in this snapshot.",
        help=ctx.help(definitions.MEDIAN_CI),
    )

if components.has_or_note(info, "fct_pagerduty_incidents", *queries.PAGERDUTY_COLUMNS, what="MTTA"):
    pages = queries.mtta(snapshot, filters)
    pages_before = queries.mtta(snapshot, previous) if comparable else None
    page_col, *mtta_cols = st.columns(4)
    page_col.metric(
        "Pages",
        pages["page_count"],
        delta=None if pages_before is None else int(pages["page_count"] - pages_before["page_count"]),
        delta_color="inverse",
        delta_description=delta_description,
        help=ctx.help(definitions.PAGE_COUNT),
        border=True,
    )
    for column, label, key in zip(
        mtta_cols,
        ("MTTA median", "MTTA mean", "MTTA p90"),
        ("mtta_median_seconds", "mtta_mean_seconds", "mtta_p90_seconds"),
        strict=True,
    ):
        column.metric(
            label,
            format_duration(pages[key]),
            delta=None if pages_before is None else format_duration_delta(pages[key], pages_before[key]),
            delta_color="inverse",
            delta_description=delta_description,
            help=ctx.help(definitions.MTTA),
            border=True,
        )

monthly = queries.monthly_by_severity(snapshot, filters)
if monthly.empty:
    st.info("No incidents match the filters in this period.")
else:
    severity_order = list(info.severities)
    left, right = st.columns(2)
    left.altair_chart(charts.incidents_per_month(monthly, severity_order), width="stretch")
    right.altair_chart(charts.mttr_median_per_month(monthly, severity_order), width="stretch")

if filters.team_active:
    # metrics_mttr has no team: the team's own rows come from metrics_mttr_by_team.
    st.subheader(
        f"MTTR by month and severity: {filters.team_text()}", help=ctx.help(definitions.METRICS_MTTR_BY_TEAM)
    )
    st.caption(ctx.help(definitions.METRICS_MTTR_BY_TEAM))
    if components.has_or_note(
        info, queries.MTTR_BY_TEAM, *queries.MTTR_BY_TEAM_COLUMNS, what="The team's MTTR table"
    ):
        by_team = queries.metrics_mttr_by_team(snapshot, filters)
        seconds = [c for c in by_team.columns if c.endswith("_seconds")]
        components.table(
            by_team.assign(**{c.replace("_seconds", "_hours"): by_team[c] / 3600 for c in seconds}).drop(
                columns=seconds
            ),
            "metrics_mttr_by_team",
            ctx,
            download=by_team,
            column_config={
                "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                "team_name": "Team",
                "severity_name": "Severity",
                "incident_count": st.column_config.NumberColumn("Incidents"),
                "resolved_count": st.column_config.NumberColumn("Resolved"),
                "mttr_mean_hours": st.column_config.NumberColumn("Mean (h)", format="%.1f"),
                "mttr_median_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
                "mttr_p90_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
            },
        )
else:
    st.subheader("MTTR by month and severity", help=ctx.help(definitions.METRICS_MTTR_TABLE))
    st.caption(ctx.help(definitions.METRICS_MTTR_TABLE))
    if filters.field_active:
        st.caption("The custom-field filter does not apply to this table: the mart has no field values.")
    with_ci = info.has("metrics_mttr", *queries.MTTR_CI_COLUMNS)
    table = queries.metrics_mttr(snapshot, filters, with_ci=with_ci)
    duration_columns = ("mttr_mean_seconds", "mttr_median_seconds", "mttr_p90_seconds")
    hours = {
        c: c.replace("_seconds", "_hours")
        for c in duration_columns + (queries.MTTR_CI_COLUMNS if with_ci else ())
    }
    components.table(
        table.assign(**{h: table[s] / 3600 for s, h in hours.items()}).drop(columns=list(hours)),
        "metrics_mttr",
        ctx,
        download=table,  # the mart's own columns, durations in seconds
        column_config={
            "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
            "severity_name": st.column_config.TextColumn("Severity"),
            "incident_count": st.column_config.NumberColumn("Incidents"),
            "resolved_count": st.column_config.NumberColumn("Resolved"),
            "mttr_mean_hours": st.column_config.NumberColumn("Mean (h)", format="%.1f"),
            "mttr_median_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
            "mttr_p90_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
            "mttr_median_ci_lower_hours": st.column_config.NumberColumn(
                "Median CI low (h)", format="%.1f", help=ctx.help(definitions.MEDIAN_CI)
            ),
            "mttr_median_ci_upper_hours": st.column_config.NumberColumn(
                "Median CI high (h)", format="%.1f", help=ctx.help(definitions.MEDIAN_CI)
            ),
        },
    )
