"""Severity: how incidents spread over severities, how long they spend at each, changes, MTTR."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration
from dashboards.queries import severity as queries

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
severity_order = list(info.severities)
hours = st.column_config.NumberColumn

components.page_header("Severity", ctx)

summary = queries.by_severity(snapshot, info, filters)
if summary.empty:
    st.info("No incidents match the filters in this period.")
else:
    most_severe = summary.iloc[0]
    total_col, top_col, share_col = st.columns(3)
    total_col.metric(
        "Incidents",
        int(summary["incident_count"].sum()),
        help=ctx.help(definitions.INCIDENT_COUNT),
        border=True,
    )
    top_col.metric(
        f"{most_severe['severity']} incidents",
        int(most_severe["incident_count"]),
        help=ctx.help(definitions.SEVERITY_DISTRIBUTION),
        border=True,
    )
    share_col.metric(
        f"Share {most_severe['severity']}",
        f"{most_severe['incident_share']:.0%}",
        help=ctx.help(definitions.SEVERITY_DISTRIBUTION),
        border=True,
    )
    left, right = st.columns(2)
    components.chart(charts.severity_distribution(summary, severity_order), left)
    components.chart(charts.mttr_by_severity(summary, severity_order), right)

st.subheader("MTTR by severity", help=ctx.help(definitions.MTTR_BY_SEVERITY))
components.table(
    summary.drop(columns=["severity_rank"])
    .assign(
        **{
            c.replace("_seconds", "_hours"): summary[c] / 3600
            for c in summary.columns
            if c.endswith("_seconds")
        }
    )
    .drop(columns=[c for c in summary.columns if c.endswith("_seconds")]),
    "mttr_by_severity",
    ctx,
    download=summary,
    column_config={
        "severity": "Severity",
        "incident_count": st.column_config.NumberColumn("Incidents"),
        "incident_share": st.column_config.ProgressColumn(
            "Share", format="percent", min_value=0, max_value=1
        ),
        "resolved_count": st.column_config.NumberColumn("Resolved"),
        "mttr_mean_hours": hours("Mean (h)", format="%.1f"),
        "mttr_median_hours": hours("Median (h)", format="%.1f"),
        "mttr_p90_hours": hours("p90 (h)", format="%.1f"),
        "median_ci_low_hours": hours(
            "Median CI low (h)", format="%.1f", help=ctx.help(definitions.MEDIAN_CI)
        ),
        "median_ci_high_hours": hours(
            "Median CI high (h)", format="%.1f", help=ctx.help(definitions.MEDIAN_CI)
        ),
    },
)

st.subheader("Time at each severity", help=ctx.help(definitions.TIME_AT_SEVERITY))
if components.has_or_note(
    info, queries.SEVERITY_PERIODS, *queries.SEVERITY_PERIOD_COLUMNS, what="Time at each severity"
):
    periods = queries.time_at_severity(snapshot, filters)
    if not periods.empty:
        components.chart(charts.time_at_severity(periods, severity_order))
    components.table(
        periods.drop(columns=["severity_rank"])
        .assign(
            total_hours=periods["total_seconds"] / 3600,
            median_per_incident=periods["median_seconds_per_incident"].map(format_duration),
        )
        .drop(columns=["total_seconds", "median_seconds_per_incident"]),
        "time_at_severity",
        ctx,
        download=periods,
        column_config={
            "severity": "Severity",
            "incident_count": st.column_config.NumberColumn("Incidents that held it"),
            "total_hours": hours("Total (h)", format="%.1f"),
            "median_per_incident": "Median per incident",
        },
    )

    st.subheader("Severity changes", help=ctx.help(definitions.SEVERITY_CHANGES))
    changes = queries.severity_changes(snapshot, filters)
    changed = queries.changed_incident_count(snapshot, filters)
    changed_col, up_col, down_col = st.columns(3)
    changed_col.metric(
        "Incidents that changed severity", changed, help=ctx.help(definitions.SEVERITY_CHANGES), border=True
    )
    up_col.metric(
        "Upgrades",
        int(changes.loc[changes["direction"] == "upgrade", "change_count"].sum()),
        help=ctx.help(definitions.SEVERITY_CHANGES),
        border=True,
    )
    down_col.metric(
        "Downgrades",
        int(changes.loc[changes["direction"] == "downgrade", "change_count"].sum()),
        help=ctx.help(definitions.SEVERITY_CHANGES),
        border=True,
    )
    components.table(
        changes,
        "severity_changes",
        ctx,
        column_config={
            "from_severity": "From",
            "to_severity": "To",
            "direction": "Direction",
            "change_count": st.column_config.NumberColumn("Changes"),
            "incident_count": st.column_config.NumberColumn("Incidents"),
        },
        empty_text="No severity changes among the filtered incidents.",
    )
