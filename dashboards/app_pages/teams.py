"""Teams: MTTR and incidents per team, each team's incident hours per week, pages, and follow-through."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration
from dashboards.queries import teams as queries
from dashboards.snapshot import INCIDENT_TEAMS, TEAMS

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
number = st.column_config.NumberColumn
rate = st.column_config.ProgressColumn

components.page_header("Teams", ctx)
components.skipped_note(
    ctx,
    "Team data",
    "incidentio_teams",
    "incidentio_catalog_types",
    "incidentio_catalog_entries",
    "incidentio_custom_fields",
    "pagerduty_teams",
    "incidentio_postmortem_documents",
    "incidentio_follow_ups",
)

has_teams = components.has_or_note(info, TEAMS, *queries.TEAM_COLUMNS, what="The Teams page")
if has_teams and components.has_or_note(
    info, INCIDENT_TEAMS, *queries.INCIDENT_TEAM_COLUMNS, what="Incidents per team"
):
    # ------------------------------------------------------------------------------ MTTR per team
    per_team = queries.mttr_per_team(snapshot, filters)
    counts = queries.attribution(snapshot, filters)
    incidents, with_team = int(counts.get("incident_count") or 0), int(counts.get("with_team_count") or 0)
    teams_col, with_col, without_col = st.columns(3)
    teams_col.metric(
        "Teams with incidents",
        int(counts.get("team_count") or 0),
        help=ctx.help(definitions.TEAM_MTTR),
        border=True,
    )
    # Coverage of the attribution: for how many of the filtered incidents a team was found.
    with_col.metric(
        "Incidents with a team",
        components.percent(with_team, incidents),
        help=ctx.help(definitions.TEAM_FILTER),
        border=True,
    )
    without_col.metric(
        "Incidents without a team", incidents - with_team, help=ctx.help(definitions.TEAM_FILTER), border=True
    )
    st.caption(
        f"{with_team:,} of {incidents:,} filtered incidents have a team; an incident of two teams "
        "counts in each."
    )

    st.subheader("MTTR and incidents per team", help=ctx.help(definitions.TEAM_MTTR))
    if not per_team.empty:
        components.chart(charts.team_mttr_side_by_side(per_team))
    components.table(
        per_team.assign(
            mttr_median=per_team["mttr_median_seconds"].map(format_duration),
            mttr_mean=per_team["mttr_mean_seconds"].map(format_duration),
            mttr_p90=per_team["mttr_p90_seconds"].map(format_duration),
        ).drop(columns=["team_id", "mttr_mean_seconds", "mttr_median_seconds", "mttr_p90_seconds"]),
        "mttr_per_team",
        ctx,
        download=per_team,
        column_config={
            "team_name": "Team",
            "incident_count": number("Incidents"),
            "resolved_count": number("Resolved"),
            "mttr_median": "MTTR median",
            "mttr_mean": "MTTR mean",
            "mttr_p90": "MTTR p90",
        },
    )

    st.subheader("MTTR by month, team and severity", help=ctx.help(definitions.METRICS_MTTR_BY_TEAM))
    if components.has_or_note(
        info,
        queries.MTTR_BY_TEAM,
        "month",
        "team_id",
        "team_name",
        "severity_name",
        "mttr_median_seconds",
        what="The metrics_mttr_by_team table",
    ):
        monthly = queries.metrics_mttr_by_team(snapshot, filters)
        seconds = [c for c in monthly.columns if c.endswith("_seconds")]
        components.table(
            monthly.assign(**{c.replace("_seconds", "_hours"): monthly[c] / 3600 for c in seconds}).drop(
                columns=seconds
            ),
            "metrics_mttr_by_team",
            ctx,
            download=monthly,
            height=320,
            column_config={
                "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                "team_name": "Team",
                "severity_name": "Severity",
                "incident_count": number("Incidents"),
                "resolved_count": number("Resolved"),
                "mttr_mean_hours": number("Mean (h)", format="%.1f"),
                "mttr_median_hours": number("Median (h)", format="%.1f"),
                "mttr_p90_hours": number("p90 (h)", format="%.1f"),
            },
        )

    # --------------------------------------------------------------------------- workload per week
    st.subheader(
        "Incident hours, pages and sleep-hour pages per team", help=ctx.help(definitions.TEAM_WORKLOAD)
    )
    if components.has_or_note(
        info, queries.WORKLOAD, *queries.WORKLOAD_COLUMNS, what="Team workload per week"
    ):
        weekly = queries.team_workload(snapshot, filters)
        totals = queries.workload_per_team(weekly)
        if not weekly.empty:
            components.chart(charts.team_workload_heatmap(weekly))
        components.table(
            totals.drop(columns=["team_id"]),
            "team_workload",
            ctx,
            download=weekly,  # one row per team and week, as the mart has it
            column_config={
                "team_name": "Team",
                "weeks": number("Active weeks"),
                "member_count": number("Members (now)"),
                "incident_count": number("Incidents"),
                "workload_hours": number("Incident hours", format="%.1f"),
                "page_count": number("Pages"),
                "sleep_hour_page_count": number("Sleep-hour pages"),
            },
            empty_text="No team workload in the weeks shown (incidents of no team have no team workload).",
        )
        st.caption("The CSV holds one row per team and ISO week (the mart's own grain).")

    # ------------------------------------------------------------------------- follow-through
    st.subheader("Post-mortem and follow-up completion per team", help=ctx.help(definitions.FOLLOW_THROUGH))
    if components.has_or_note(
        info, queries.POSTMORTEMS, *queries.POSTMORTEM_COLUMNS, what="Post-mortem completion"
    ) and components.has_or_note(
        info, "fct_follow_ups", *queries.FOLLOW_UP_COLUMNS, what="Follow-up completion"
    ):
        through = queries.follow_through(snapshot, filters, "team")
        if not through.empty:
            components.chart(
                charts.completion_rates(
                    through, "team_name", "Team", "Post-mortem and follow-up completion per team"
                )
            )
        components.table(
            through.drop(columns=["team_id"]),
            "follow_through_per_team",
            ctx,
            column_config={
                "team_name": "Team",
                "resolved_count": number("Resolved incidents"),
                "postmortem_count": number("With a post-mortem"),
                "postmortem_completed_count": number("Post-mortem completed"),
                "follow_up_count": number("Follow-ups"),
                "follow_up_completed_count": number("Follow-ups completed"),
                "postmortem_rate": rate("Post-mortem written", format="percent", min_value=0, max_value=1),
                "postmortem_completed_rate": rate(
                    "Post-mortem completed", format="percent", min_value=0, max_value=1
                ),
                "follow_up_completed_rate": rate(
                    "Follow-ups completed", format="percent", min_value=0, max_value=1
                ),
            },
        )
