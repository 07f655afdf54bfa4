"""People and roles: who leads, which roles get filled, how fast a lead engages, workload and pages."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration
from dashboards.queries import people as queries

TOP_PEOPLE = 15

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
has_people = info.has("dim_people", "person_email", "name")
number = st.column_config.NumberColumn

components.page_header("People and roles", ctx)

# ---------------------------------------------------------------------------------------- lead load
st.subheader("Lead load", help=ctx.help(definitions.LEAD_LOAD))
leads = queries.lead_summary(snapshot, filters)
incidents = int(leads.get("incident_count") or 0)
with_lead = int(leads.get("with_lead_count") or 0)
lead_col, count_col, share_col, ttl_col = st.columns(4)
lead_col.metric(
    "Incident leads", int(leads.get("lead_count") or 0), help=ctx.help(definitions.LEAD_LOAD), border=True
)
count_col.metric(
    "Incidents without a lead", incidents - with_lead, help=ctx.help(definitions.LEAD_LOAD), border=True
)
share_col.metric(
    "Incidents with a lead",
    components.percent(with_lead, incidents),
    help=ctx.help(definitions.LEAD_LOAD),
    border=True,
)

has_response = info.has(queries.RESPONSE, *queries.RESPONSE_COLUMNS)
lead_times = queries.time_to_lead(snapshot, filters) if has_response else None
ttl_col.metric(
    "Time to lead (median)",
    format_duration(lead_times["seconds_to_lead"].median()) if lead_times is not None else "—",
    help=ctx.help(definitions.TIME_TO_LEAD),
    border=True,
)

load = queries.lead_load(snapshot, filters, has_people)
if not load.empty:
    components.chart(
        charts.horizontal_bars(
            load.head(TOP_PEOPLE),
            "name",
            "incident_count",
            f"Incidents led (top {TOP_PEOPLE} leads)",
            "Incident lead",
            "Incidents led",
        )
    )
components.table(
    load.assign(mttr_median_hours=load["mttr_median_seconds"] / 3600).drop(columns=["mttr_median_seconds"]),
    "lead_load",
    ctx,
    download=load,
    column_config={
        "lead_email": "Email",
        "name": "Incident lead",
        "incident_count": number("Incidents led"),
        "incident_share": st.column_config.ProgressColumn(
            "Share", format="percent", min_value=0, max_value=1
        ),
        "mttr_median_hours": number("Median time to resolve (h)", format="%.1f"),
    },
)

# ------------------------------------------------------------------------------------ role coverage
st.subheader("Role coverage", help=ctx.help(definitions.ROLE_COVERAGE))
if components.has_or_note(
    info, "fct_incident_roles", "incident_id", "role_name", "person_email", what="Role coverage"
):
    roles = queries.role_coverage(snapshot, filters)
    if not roles.empty:
        components.chart(
            charts.horizontal_bars(
                roles,
                "role_name",
                "coverage",
                "Share of incidents with the role assigned",
                "Role",
                "Incidents with the role",
                value_format=".0%",
            )
        )
    components.table(
        roles,
        "role_coverage",
        ctx,
        column_config={
            "role_name": "Role",
            "incident_count": number("Incidents with the role"),
            "coverage": st.column_config.ProgressColumn(
                "Coverage", format="percent", min_value=0, max_value=1
            ),
            "people_count": number("People who held it"),
        },
    )

# ------------------------------------------------------------------------------------ time to lead
st.subheader("Time to lead", help=ctx.help(definitions.TIME_TO_LEAD))
if lead_times is None:
    components.has_or_note(info, queries.RESPONSE, *queries.RESPONSE_COLUMNS, what="Time to lead")
else:
    per_severity = queries.time_to_lead_by_severity(lead_times)
    components.table(
        per_severity.assign(
            median=per_severity["median_seconds"].map(format_duration),
            p90=per_severity["p90_seconds"].map(format_duration),
        ).drop(columns=["median_seconds", "p90_seconds"]),
        "time_to_lead_by_severity",
        ctx,
        download=per_severity,
        column_config={
            "severity_name": "Severity",
            "incident_count": number("Incidents with a lead"),
            "median": "Median time to lead",
            "p90": "p90 time to lead",
        },
    )

# ----------------------------------------------------------------------------------------- workload
st.subheader("Responder workload per person and week", help=ctx.help(definitions.WORKLOAD))
if filters.team_active:
    st.caption(
        f"People of {filters.team_text()} (`dim_team_members`); the custom-field filter does not apply."
    )
if components.has_or_note(
    info, "metrics_responder_workload", *queries.WORKLOAD_COLUMNS, what="Responder workload"
):
    weekly = queries.workload(snapshot, filters, has_people)
    per_person = queries.workload_per_person(weekly)
    if not weekly.empty:
        top = per_person.head(TOP_PEOPLE)["person_email"]
        components.chart(charts.workload_heatmap(weekly[weekly["person_email"].isin(top)]))
        st.caption(f"The {TOP_PEOPLE} people with the most workload minutes in the weeks shown.")
    components.table(
        per_person.assign(workload_hours=per_person["workload_minutes"] / 60).drop(
            columns=["workload_minutes"]
        ),
        "responder_workload",
        ctx,
        download=weekly,  # one row per person and week, as the mart has it
        column_config={
            "person_email": "Email",
            "name": "Person",
            "weeks": number("Active weeks"),
            "incident_count": number("Incident-weeks"),
            "slack_message_count": number("Slack messages"),
            "zoom_minutes": number("Zoom minutes", format="%.0f"),
            "page_count": number("Pages"),
            "sleep_hour_page_count": number("Sleep-hour pages"),
            "workload_hours": number("Workload (h)", format="%.1f"),
        },
    )
    st.caption("The CSV holds one row per person and week (the mart's own grain).")

# ------------------------------------------------------------------------------------------- pages
st.subheader("Out-of-hours and sleep-hour pages", help=ctx.help(definitions.PAGE_HEATMAP))
if components.has_or_note(info, "fct_incident_timeline", *queries.TIMELINE_COLUMNS, what="The page heatmap"):
    heat = queries.page_heatmap(snapshot, filters, info.has("dim_people", "person_email", "timezone"))
    total = int(heat["page_count"].sum())
    sleep = int(heat.loc[[queries.is_sleep_hour(h) for h in heat["hour"]], "page_count"].sum())
    out_of_hours = int(
        heat.loc[
            [queries.is_out_of_hours(d, h) for d, h in zip(heat["weekday"], heat["hour"], strict=True)],
            "page_count",
        ].sum()
    )
    pages_col, ooh_col, sleep_col = st.columns(3)
    pages_col.metric("Pages to people", total, help=ctx.help(definitions.PAGE_HEATMAP), border=True)
    ooh_col.metric(
        "Out of hours",
        components.percent(out_of_hours, total),
        help=ctx.help(definitions.PAGE_HEATMAP),
        border=True,
    )
    sleep_col.metric(
        "In sleep hours",
        components.percent(sleep, total),
        help=ctx.help(definitions.PAGE_HEATMAP),
        border=True,
    )
    components.chart(charts.page_heatmap(heat))
    components.table(queries.pages_by_weekday(heat), "pages_by_local_hour", ctx, download=heat)
