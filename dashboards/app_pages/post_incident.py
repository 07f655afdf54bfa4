"""Post-incident: did we write the post-mortem and do the follow-ups, by severity and month."""

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from dashboards import charts, components, definitions
from dashboards.queries import post_incident as queries
from dashboards.queries import teams as team_queries

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
number = st.column_config.NumberColumn


def rate(label: str) -> ColumnConfig:
    """A 0–1 share shown as a percent bar."""
    return st.column_config.ProgressColumn(label, format="percent", min_value=0, max_value=1)


severity_order = list(info.severities)

components.page_header("Post-incident", ctx, "Months are months of `resolved_at` (UTC).")
components.skipped_note(
    ctx, "Post-mortem and follow-up data", "incidentio_postmortem_documents", "incidentio_follow_ups"
)

if components.has_or_note(
    info, team_queries.POSTMORTEMS, *team_queries.POSTMORTEM_COLUMNS, what="The Post-incident page"
) and components.has_or_note(
    info, "fct_follow_ups", *team_queries.FOLLOW_UP_COLUMNS, what="Follow-up completion"
):
    monthly = queries.by_month_and_severity(snapshot, filters)
    resolved = int(monthly["resolved_count"].sum())
    written = int(monthly["postmortem_count"].sum())
    completed = int(monthly["postmortem_completed_count"].sum())
    follow_ups = int(monthly["follow_up_count"].sum())
    done = int(monthly["follow_up_completed_count"].sum())
    resolved_col, written_col, completed_col, follow_col = st.columns(4)
    resolved_col.metric(
        "Resolved incidents", resolved, help=ctx.help(definitions.FOLLOW_THROUGH), border=True
    )
    written_col.metric(
        "With a post-mortem",
        components.percent(written, resolved),
        help=ctx.help(definitions.FOLLOW_THROUGH),
        border=True,
    )
    completed_col.metric(
        "Post-mortem completed",
        components.percent(completed, resolved),
        help=ctx.help(definitions.FOLLOW_THROUGH),
        border=True,
    )
    follow_col.metric(
        "Follow-ups completed",
        components.percent(done, follow_ups),
        help=ctx.help(definitions.FOLLOW_THROUGH),
        border=True,
    )
    st.caption(
        f"Over {resolved:,} resolved incidents of the filters: {written:,} with a post-mortem document, "
        f"{completed:,} with a completed one; {done:,} of {follow_ups:,} follow-ups completed."
    )

    st.subheader("Completion by month and severity", help=ctx.help(definitions.FOLLOW_THROUGH))
    if not monthly.empty:
        left, right = st.columns(2)
        components.chart(
            charts.completion_per_month(
                monthly, severity_order, "postmortem_completed_rate", "Incidents with a completed post-mortem"
            ),
            left,
        )
        components.chart(
            charts.completion_per_month(
                monthly, severity_order, "follow_up_completed_rate", "Follow-ups completed"
            ),
            right,
        )
    components.table(
        monthly,
        "post_incident_by_month_and_severity",
        ctx,
        column_config={
            "month": st.column_config.DateColumn("Month resolved", format="MMM YYYY"),
            "severity": "Severity",
            "resolved_count": number("Resolved incidents"),
            "postmortem_count": number("With a post-mortem"),
            "postmortem_completed_count": number("Post-mortem completed"),
            "follow_up_count": number("Follow-ups"),
            "follow_up_completed_count": number("Follow-ups completed"),
            "postmortem_rate": rate("Post-mortem written"),
            "postmortem_completed_rate": rate("Post-mortem completed"),
            "follow_up_completed_rate": rate("Follow-ups completed"),
        },
    )

st.subheader("metrics_post_incident", help=ctx.help(definitions.POST_INCIDENT_TABLE))
st.caption(ctx.help(definitions.POST_INCIDENT_TABLE))
if components.has_or_note(
    info, queries.POST_INCIDENT, *queries.POST_INCIDENT_COLUMNS, what="The metrics_post_incident table"
):
    if filters.team_active or filters.field_active:
        st.caption("The team and custom-field filters do not apply to this table: the mart has neither.")
    table = queries.metrics_post_incident(snapshot, filters)
    components.table(
        table,
        "metrics_post_incident",
        ctx,
        height=320,
        column_config={
            "month": st.column_config.DateColumn("Month resolved", format="MMM YYYY"),
            "severity": "Severity",
            "resolved_count": number("Resolved"),
            "postmortem_count": number("With a post-mortem"),
            "postmortem_completed_count": number("Post-mortem completed"),
            "postmortem_completed_rate": rate("Completed share"),
            "median_hours_to_postmortem_completed": number("Median h to post-mortem", format="%.1f"),
            "follow_up_count": number("Follow-ups"),
            "follow_up_completed_count": number("Follow-ups completed"),
            "follow_up_completed_rate": rate("Follow-ups completed"),
            "median_days_to_follow_up_completed": number("Median days to follow-up", format="%.1f"),
        },
    )
