"""Follow-ups: what is still open, how old it is and who owns it; completion rate by severity."""

from datetime import UTC, datetime

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration
from dashboards.queries import follow_ups as queries

TOP_OWNERS = 15

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
number = st.column_config.NumberColumn
# Ages are measured at publish time, so an old snapshot does not make every follow-up look older.
as_of = info.published_at or datetime.now(UTC)

components.page_header("Follow-ups", ctx, f"Ages at {as_of:%Y-%m-%d %H:%M} UTC (publish time).")

if components.has_or_note(info, "fct_follow_ups", *queries.FOLLOW_UP_COLUMNS, what="The follow-ups page"):
    summary = queries.summary(snapshot, filters, as_of)
    completed, counted = int(summary.get("completed_count") or 0), int(summary.get("counted_count") or 0)
    total_col, open_col, age_col, rate_col = st.columns(4)
    total_col.metric(
        "Follow-ups",
        int(summary.get("follow_up_count") or 0),
        help=ctx.help(definitions.FOLLOW_UP_OPEN),
        border=True,
    )
    open_col.metric(
        "Open follow-ups",
        int(summary.get("open_count") or 0),
        help=ctx.help(definitions.FOLLOW_UP_OPEN),
        border=True,
    )
    age_col.metric(
        "Median age of open",
        format_duration(summary.get("open_median_age_seconds")),
        help=ctx.help(definitions.FOLLOW_UP_OPEN),
        border=True,
    )
    rate_col.metric(
        "Completion rate",
        components.percent(completed, counted),
        help=ctx.help(definitions.FOLLOW_UP_COMPLETION),
        border=True,
    )

    open_rows = queries.open_follow_ups(snapshot, filters, as_of)
    owners = queries.open_by_owner(open_rows)
    st.subheader("Open follow-ups by age and owner", help=ctx.help(definitions.FOLLOW_UP_OPEN))
    if not open_rows.empty:
        left, right = st.columns(2)
        components.chart(charts.open_follow_ups_by_age(open_rows, queries.AGE_BUCKETS), left)
        components.chart(
            charts.horizontal_bars(
                owners.head(TOP_OWNERS),
                "owner",
                "open_count",
                f"Open follow-ups per owner (top {TOP_OWNERS})",
                "Owner",
                "Open follow-ups",
            ),
            right,
        )
    components.table(
        owners.assign(oldest=owners["oldest_age_seconds"].map(format_duration)).drop(
            columns=["oldest_age_seconds"]
        ),
        "open_follow_ups_by_owner",
        ctx,
        download=owners,
        column_config={"owner": "Owner", "open_count": number("Open"), "oldest": "Oldest open"},
        empty_text="No open follow-ups for the filtered incidents.",
    )

    st.subheader("Completion rate by severity", help=ctx.help(definitions.FOLLOW_UP_COMPLETION))
    rates = queries.completion_by_severity(snapshot, filters, as_of)
    if not rates.empty:
        components.chart(charts.completion_by_severity(rates, list(info.severities)))
    components.table(
        rates.drop(columns=["severity_rank"])
        .assign(median_to_complete=rates["median_seconds_to_complete"].map(format_duration))
        .drop(columns=["median_seconds_to_complete"]),
        "follow_up_completion_by_severity",
        ctx,
        download=rates,
        column_config={
            "severity": "Severity",
            "follow_up_count": number("Follow-ups (not deleted)"),
            "completed_count": number("Completed"),
            "open_count": number("Open"),
            "not_doing_count": number("Not doing"),
            "completion_rate": st.column_config.ProgressColumn(
                "Completion rate", format="percent", min_value=0, max_value=1
            ),
            "median_to_complete": "Median time to complete",
        },
    )

    st.subheader("Open follow-ups", help=ctx.help(definitions.FOLLOW_UP_OPEN))
    components.table(
        open_rows.assign(age=open_rows["age_seconds"].map(format_duration)).drop(
            columns=["age_seconds", "incident_id", "follow_up_id"]
        ),
        "open_follow_ups",
        ctx,
        download=open_rows,
        height=360,
        column_config={
            "reference": "Incident",
            "title": "Title",
            "status": "Status",
            "priority_name": "Priority",
            "owner": "Owner",
            "severity": "Severity",
            "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD"),
            "age": "Age",
            "age_bucket": "Age band",
        },
        empty_text="No open follow-ups for the filtered incidents.",
    )
