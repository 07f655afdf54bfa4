"""On-call: hours per person and week by band, pages, MTTA by source, fairness, time to declare."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.filters import can_filter_teams
from dashboards.formatting import format_duration
from dashboards.queries import oncall as queries

KEY_PEOPLE = "oncall_people"
KEY_FAIRNESS_TEAM = "oncall_fairness_team"

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
has_people = info.has("dim_people", "person_email", "name")
number = st.column_config.NumberColumn
share = st.column_config.ProgressColumn

components.page_header(
    "On-call",
    ctx,
    "On-call hours and pages are per person: the team filter keeps the team's members, the severity, "
    "type and custom-field filters do not apply; weeks are ISO weeks (UTC) overlapping the period.",
)
components.skipped_note(
    ctx,
    "On-call data",
    "pagerduty_oncalls",
    "incidentio_schedules",
    "incidentio_schedule_entries",
    "incidentio_escalations",
    "incidentio_alerts",
    "incidentio_incident_alerts",
)

has_burden = components.has_or_note(info, queries.BURDEN, *queries.BURDEN_COLUMNS, what="The On-call page")
people: tuple[str, ...] = ()
if has_burden:
    choices = queries.oncall_people(snapshot, filters, has_people)
    names = dict(zip(choices["person_email"], choices["name"], strict=True))
    st.session_state[KEY_PEOPLE] = [p for p in st.session_state.get(KEY_PEOPLE, []) if p in names]
    people = tuple(
        st.multiselect(
            "People",
            options=list(names),
            format_func=lambda email: f"{names[email]} ({email})" if names[email] != email else email,
            key=KEY_PEOPLE,
            placeholder="Everyone on call in the period",
            help="Narrow the hours, pages and the report to these people (of the sidebar's team).",
        )
    )

    # ------------------------------------------------------------------------------ hours by band
    weekly = queries.burden(snapshot, filters, people, has_people)
    totals = queries.per_person(weekly)
    hours = float(weekly["oncall_hours"].sum()) if not weekly.empty else 0.0
    hours_col, sleep_col, off_col, people_col = st.columns(4)
    hours_col.metric("On-call hours", f"{hours:,.0f}", help=ctx.help(definitions.ONCALL_HOURS), border=True)
    sleep_col.metric(
        "In sleep hours",
        components.percent(weekly["sleep_hours"].sum() if not weekly.empty else None, hours),
        help=ctx.help(definitions.ONCALL_HOURS),
        border=True,
    )
    off_col.metric(
        "In off hours",
        components.percent(weekly["off_hours"].sum() if not weekly.empty else None, hours),
        help=ctx.help(definitions.ONCALL_HOURS),
        border=True,
    )
    people_col.metric(
        "People on call",
        int((totals["oncall_hours"] > 0).sum()) if not totals.empty else 0,
        help=ctx.help(definitions.ONCALL_HOURS),
        border=True,
    )

    if not totals.empty and info.has("dim_people", "person_email", "timezone"):
        shown_people = sorted(totals["person_email"].dropna())
        zoned = queries.timezone_coverage(snapshot, shown_people)
        st.caption(
            f"{zoned:,} of {len(shown_people):,} people shown have a time zone; the others' bands are "
            "counted in UTC."
        )

    st.subheader("On-call hours per person and week", help=ctx.help(definitions.ONCALL_HOURS))
    if not weekly.empty:
        components.chart(charts.oncall_hours_per_week(weekly))
    components.table(
        totals.drop(columns=["person_email"]),
        "oncall_hours_per_person",
        ctx,
        download=weekly,  # one row per person and week, as the mart has it
        column_config={
            "name": "Person",
            "oncall_weeks": number("On-call weeks"),
            "oncall_hours": number("On-call hours", format="%.1f"),
            "business_hours": number("Business hours", format="%.1f"),
            "off_hours": number("Off hours", format="%.1f"),
            "sleep_hours": number("Sleep hours", format="%.1f"),
            "page_count": number("Pages"),
            "sleep_hour_page_count": number("Sleep-hour pages"),
            "pages_outside_shift_count": number("Pages outside any shift"),
            "pages_per_oncall_week": number(
                "Pages per on-call week", format="%.1f", help=ctx.help(definitions.ONCALL_PAGES)
            ),
        },
        empty_text="Nobody was on call or paged in the weeks shown.",
    )
    report = queries.hours_report(weekly)
    st.download_button(
        "Download the on-call hours report (CSV)",
        components.csv_of(report),
        file_name=f"oncall_hours_report_{filters.start:%Y-%m-%d}_{filters.end:%Y-%m-%d}.csv",
        mime="text/csv",
        icon=":material/payments:",
        on_click="ignore",
        key="download_oncall_hours_report",
        help="One row per person and ISO week with on-call hours: hours by band (business, off, sleep), "
        "as `metrics_oncall_burden` has them, for on-call compensation.",
    )
    st.caption(f"The report holds {len(report):,} person-weeks with on-call hours.")

# ---------------------------------------------------------------------------------------- pages
st.subheader("Pages", help=ctx.help(definitions.ONCALL_PAGES))
if components.has_or_note(info, queries.PAGES, *queries.PAGE_COLUMNS, what="Pages"):
    summary = queries.page_summary(snapshot, filters, people)
    page_count = int(summary.get("page_count") or 0)
    acknowledged = int(summary.get("acknowledged_count") or 0)
    pages_col, sleep_pages_col, outside_col, mtta_col = st.columns(4)
    pages_col.metric("Pages", page_count, help=ctx.help(definitions.ONCALL_PAGES), border=True)
    sleep_pages_col.metric(
        "Sleep-hour pages",
        int(summary.get("sleep_hour_page_count") or 0),
        help=ctx.help(definitions.ONCALL_PAGES),
        border=True,
    )
    outside_col.metric(
        "Pages outside any shift",
        int(summary.get("outside_shift_count") or 0),
        help=ctx.help(definitions.PAGES_OUTSIDE_SHIFT),
        border=True,
    )
    mtta_col.metric(
        "MTTA median",
        format_duration(summary.get("mtta_median_seconds")),
        help=ctx.help(definitions.PAGE_MTTA),
        border=True,
    )
    st.caption(
        f"{acknowledged:,} of {page_count:,} pages acknowledged "
        f"({components.percent(acknowledged, page_count)}): the MTTA rests on those."
    )
    per_week = queries.pages_per_week(snapshot, filters, people)
    by_source = queries.mtta_by_source(snapshot, filters, people)
    left, right = st.columns(2)
    if not per_week.empty:
        components.chart(charts.pages_per_week(per_week), left)
    if not by_source.empty:
        components.chart(
            charts.horizontal_bars(
                by_source.assign(mtta_median_minutes=by_source["mtta_median_seconds"] / 60),
                "source",
                "mtta_median_minutes",
                "MTTA of pages by source (median, minutes)",
                "Source",
                "Median minutes to acknowledge",
                value_format=",.1f",
            ),
            right,
        )
    st.subheader("MTTA of pages by source", help=ctx.help(definitions.PAGE_MTTA))
    components.table(
        by_source.assign(
            mtta_median=by_source["mtta_median_seconds"].map(format_duration),
            mtta_mean=by_source["mtta_mean_seconds"].map(format_duration),
            mtta_p90=by_source["mtta_p90_seconds"].map(format_duration),
        ).drop(columns=["mtta_mean_seconds", "mtta_median_seconds", "mtta_p90_seconds"]),
        "mtta_by_source",
        ctx,
        download=by_source,
        column_config={
            "source": "Source",
            "page_count": number("Pages"),
            "acknowledged_count": number("Acknowledged"),
            "ack_coverage": share("Acknowledged share", format="percent", min_value=0, max_value=1),
            "mtta_median": "MTTA median",
            "mtta_mean": "MTTA mean",
            "mtta_p90": "MTTA p90",
        },
        empty_text="No pages in the period.",
    )

# ------------------------------------------------------------------------------------- fairness
st.subheader("Fairness across a team's members", help=ctx.help(definitions.ONCALL_FAIRNESS))
if has_burden and can_filter_teams(info):
    load = queries.member_load(snapshot, filters, has_people)
    team_rows, members = queries.fairness(load)
    components.table(
        team_rows.drop(columns=["team_id"]),
        "oncall_fairness_per_team",
        ctx,
        column_config={
            "team_name": "Team",
            "rota_size": number("Members on the rota"),
            "oncall_hours": number("On-call hours", format="%.1f"),
            "gini_oncall_hours": number("Gini of on-call hours", format="%.2f"),
            "max_hours_share": share("Largest member share", format="percent", min_value=0, max_value=1),
            "sleep_hour_page_count": number("Sleep-hour pages"),
            "gini_sleep_pages": number("Gini of sleep-hour pages", format="%.2f"),
            "equal_share": share("Equal share", format="percent", min_value=0, max_value=1),
        },
        empty_text="No team member was on call or paged in the weeks shown.",
    )
    st.caption(
        "Gini: 0 = every member on the rota carries the same; towards 1 = one member carries it all. "
        "The person filter does not apply here: fairness is about the whole team."
    )
    if not team_rows.empty:
        team_names = dict(zip(team_rows["team_id"], team_rows["team_name"], strict=True))
        if st.session_state.get(KEY_FAIRNESS_TEAM) not in team_names:
            st.session_state[KEY_FAIRNESS_TEAM] = next(iter(team_names))
        team_id = st.selectbox(
            "Team", options=list(team_names), format_func=team_names.__getitem__, key=KEY_FAIRNESS_TEAM
        )
        shown = members[members["team_id"] == team_id]
        left, right = st.columns(2)
        components.chart(
            charts.member_shares(
                shown, "hours_share", "Share of on-call hours vs equal share", "Share of hours"
            ),
            left,
        )
        components.chart(
            charts.member_shares(
                shown, "sleep_page_share", "Share of sleep-hour pages vs equal share", "Share of sleep pages"
            ),
            right,
        )
        components.table(
            shown.drop(columns=["team_id", "team_name", "person_email"]),
            "oncall_fairness_members",
            ctx,
            column_config={
                "name": "Member",
                "oncall_hours": number("On-call hours", format="%.1f"),
                "sleep_hour_page_count": number("Sleep-hour pages"),
                "hours_share": share("Share of hours", format="percent", min_value=0, max_value=1),
                "sleep_page_share": share("Share of sleep pages", format="percent", min_value=0, max_value=1),
                "equal_share": share("Equal share", format="percent", min_value=0, max_value=1),
            },
        )
elif has_burden:
    components.has_or_note(info, "dim_team_members", "team_id", "person_email", what="The fairness view")

# ------------------------------------------------------------------------------ time to declare
st.subheader("Time from first alert to declared incident", help=ctx.help(definitions.TIME_TO_DECLARE))
if components.has_or_note(info, "fct_incidents", *queries.DECLARE_COLUMNS, what="Time to declare"):
    declare = queries.time_to_declare(snapshot, filters)
    incident_count = int(declare["incident_count"].sum()) if not declare.empty else 0
    alerted = int(declare["alerted_count"].sum()) if not declare.empty else 0
    valid = int(declare["declare_count"].sum()) if not declare.empty else 0
    st.caption(
        f"{alerted:,} of {incident_count:,} filtered incidents have an alert "
        f"({components.percent(alerted, incident_count)}); {valid:,} have a valid time to declare "
        "(an incident declared before its first alert has none)."
    )
    if valid:
        components.chart(charts.time_to_declare_per_month(declare, list(info.severities)))
    components.table(
        declare.drop(columns=["severity_rank"])
        .assign(
            declare_median=declare["declare_median_seconds"].map(format_duration),
            declare_p90=declare["declare_p90_seconds"].map(format_duration),
        )
        .drop(columns=["declare_median_seconds", "declare_p90_seconds"]),
        "time_to_declare",
        ctx,
        download=declare,
        column_config={
            "month": st.column_config.DateColumn("Month reported", format="MMM YYYY"),
            "severity": "Severity",
            "incident_count": number("Incidents"),
            "alerted_count": number("With an alert"),
            "declare_count": number("With a time to declare"),
            "declare_median": "Median time to declare",
            "declare_p90": "p90 time to declare",
        },
    )
