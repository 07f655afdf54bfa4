"""Incident explorer: search the filtered incidents, then read one incident's timeline across the tools."""

import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_duration
from dashboards.queries import explorer as queries

KEY_SEARCH = "explorer_search"
KEY_STATUSES = "explorer_statuses"
KEY_INCIDENT = "explorer_incident"
KEY_SOURCES = "explorer_sources"
SOURCES = ["incidentio", "slack", "zoom", "pagerduty"]

ctx = components.page_context()
snapshot, info, filters = ctx.snapshot, ctx.info, ctx.filters
extra_columns = tuple(c for c in ("permalink",) if info.has("fct_incidents", c))

components.page_header("Incident explorer", ctx)

search_col, status_col = st.columns([2, 1])
search = search_col.text_input(
    "Search",
    key=KEY_SEARCH,
    placeholder="Reference, name or id (e.g. INC-42)",
    help="Case-insensitive; matches part of the reference, the name or the incident id.",
)
statuses = status_col.multiselect(
    "Status category",
    queries.status_categories(snapshot, filters),
    key=KEY_STATUSES,
    placeholder="All statuses",
)

found, total = queries.search_incidents(snapshot, filters, search, tuple(statuses), extra_columns)
found = queries.with_links(found)
st.metric(
    "Matching incidents",
    total,
    help="Incidents that match the sidebar filters, the search and the statuses.",
)
if total > len(found):
    st.caption(f"Showing the {len(found):,} most recently reported; narrow the search to see the others.")

link = st.column_config.LinkColumn
components.table(
    found.drop(columns=["incident_id", *extra_columns])
    .assign(time_to_resolve=found["time_to_resolve_seconds"].map(format_duration))
    .drop(columns=["time_to_resolve_seconds"]),
    "incidents",
    ctx,
    download=found,
    height=360,
    column_config={
        "reference": "Reference",
        "name": "Name",
        "status_category": "Status",
        "severity_name": "Severity",
        "incident_type": "Type",
        "mode": "Mode",
        "reported_at": st.column_config.DatetimeColumn("Reported (UTC)", format="YYYY-MM-DD HH:mm"),
        "resolved_at": st.column_config.DatetimeColumn("Resolved (UTC)", format="YYYY-MM-DD HH:mm"),
        "time_to_resolve": st.column_config.TextColumn(
            "Time to resolve", help=ctx.help(definitions.TIME_TO_RESOLVE)
        ),
        "lead_email": "Lead",
        "slack_channel_id": None,
        "zoom_meeting_id": None,
        "pagerduty_incident_id": None,
        "incidentio_url": link("incident.io", display_text="Open"),
        "slack_url": link("Slack", display_text="Channel"),
        "zoom_url": link("Zoom", display_text="Call"),
        "pagerduty_url": link("PagerDuty", display_text="Page"),
    },
    empty_text="No incident matches the filters and the search.",
    column_order=[
        "reference",
        "name",
        "incidentio_url",
        "slack_url",
        "zoom_url",
        "pagerduty_url",
        "status_category",
        "severity_name",
        "incident_type",
        "mode",
        "reported_at",
        "resolved_at",
        "time_to_resolve",
        "lead_email",
    ],
)

if not found.empty:
    labels = dict(
        zip(found["incident_id"], found["reference"] + " · " + found["name"].fillna(""), strict=True)
    )
    if st.session_state.get(KEY_INCIDENT) not in labels:
        st.session_state[KEY_INCIDENT] = next(iter(labels))
    st.divider()
    incident_id = st.selectbox(
        "Incident",
        options=list(labels),
        format_func=labels.__getitem__,
        key=KEY_INCIDENT,
        help="One of the incidents listed above.",
    )
    row = queries.incident(snapshot, incident_id)
    links = queries.incident_links(row)
    st.header(f"{row['reference']} · {row.get('name') or ''}")
    facts = st.columns(5)
    facts[0].metric("Status", row.get("status_category") or "—")
    facts[1].metric("Severity", row.get("severity_name") or "(none)")
    facts[2].metric("Type", row.get("incident_type") or "—")
    facts[3].metric("Lead", row.get("lead_email") or "(none)")
    facts[4].metric(
        "Time to resolve",
        format_duration(row.get("time_to_resolve_seconds")),
        help=ctx.help(definitions.TIME_TO_RESOLVE),
    )
    st.caption(
        f"Reported {row['reported_at']:%Y-%m-%d %H:%M} UTC"
        + (
            f" · resolved {row['resolved_at']:%Y-%m-%d %H:%M} UTC"
            if row.get("resolved_at")
            else " · unresolved"
        )
        + f" · mode {row.get('mode')}"
        + ("" if row.get("is_in_metrics") else " · not in response metrics")
    )
    buttons = st.columns(4)
    for column, (label, key) in zip(
        buttons,
        (
            ("incident.io", "incidentio_url"),
            ("Slack channel", "slack_url"),
            ("Zoom call", "zoom_url"),
            ("PagerDuty", "pagerduty_url"),
        ),
        strict=True,
    ):
        url = links[key]
        if url:
            column.link_button(label, url, icon=":material/open_in_new:", width="stretch")
        else:
            column.button(
                label, disabled=True, width="stretch", key=f"no_{key}", help="No link for this incident."
            )

    st.subheader("Timeline", help=ctx.help(definitions.TIMELINE))
    if components.has_or_note(
        info,
        "fct_incident_timeline",
        "incident_id",
        "occurred_at",
        "source",
        "event_type",
        "person_email",
        "detail",
        what="The incident timeline",
    ):
        events = queries.timeline(snapshot, incident_id, info.has("dim_people", "person_email", "name"))
        shown_sources = st.multiselect(
            "Tools", SOURCES, default=SOURCES, key=KEY_SOURCES, help="Show the events of these tools."
        )
        events = events[events["source"].isin(shown_sources)]
        counts = events["source"].value_counts()
        st.caption(
            f"{len(events):,} events: "
            + ", ".join(f"{counts.get(s, 0):,} {s}" for s in SOURCES if s in shown_sources)
            + "."
        )
        if not events.empty:
            components.chart(charts.timeline_events(events))
        components.table(
            events,
            f"timeline_{row['reference']}",
            ctx,
            period_in_file_name=False,
            height=400,
            column_config={
                "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "source": "Tool",
                "event_type": "Event",
                "person": "Person",
                "person_email": None,
                "detail": st.column_config.TextColumn("Detail", width="large"),
            },
            empty_text="No events from these tools for this incident.",
        )
