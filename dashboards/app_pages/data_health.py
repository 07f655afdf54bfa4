"""Data health: is the data fresh and complete enough to trust, and what does every number mean."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboards import charts, components, definitions
from dashboards.formatting import format_age
from dashboards.queries import health as queries

ctx = components.page_context()
snapshot, info = ctx.snapshot, ctx.info
number = st.column_config.NumberColumn
when = st.column_config.DatetimeColumn

st.title("Data health")
published = f"{info.published_at:%Y-%m-%d %H:%M} UTC" if info.published_at else "unknown"
st.caption(
    f"Snapshot `{snapshot.path}`, published {published}. This page ignores the sidebar filters: it is about "
    "the whole snapshot."
)

st.subheader("Last sync per source", help=ctx.help(definitions.SYNC_RUNS))
if info.has(queries.SYNC_RUNS, *queries.SYNC_RUN_COLUMNS):
    syncs = queries.sync_status(snapshot)
    columns = st.columns(max(1, len(syncs)))
    reference_time = pd.Timestamp(info.published_at or datetime.now(UTC))
    for column, sync in zip(columns, syncs.to_dict("records"), strict=False):
        last_ok = sync["last_success_at"]
        column.metric(
            f"{sync['source']}: last good sync",
            "never"
            if pd.isna(last_ok)
            else format_age((reference_time - pd.Timestamp(last_ok)).total_seconds()) + " ago",
            delta=None if sync["last_is_success"] else f"last run {sync['last_status']}",
            delta_color="inverse",
            help=ctx.help(definitions.SYNC_RUNS),
            border=True,
        )
    components.table(
        syncs,
        "sync_status",
        column_config={
            "source": "Source",
            "last_success_at": when("Last success (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_started_at": when("Last run started (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_status": "Last run status",
            "last_is_success": None,
            "run_count": number("Runs"),
            "failed_count": number("Runs not ok"),
        },
    )
else:
    components.has_or_note(info, queries.SYNC_RUNS, *queries.SYNC_RUN_COLUMNS, what="The sync history")

st.subheader("Skipped for a missing permission or feature", help=ctx.help(definitions.SKIPPED_ENTITIES))
if info.has(queries.SKIPPED, *queries.SKIPPED_COLUMNS):
    skipped = queries.skipped_entities(snapshot)
    if skipped.empty:
        st.caption("Nothing: the last sync of every source read every entity it asks for.")
    else:
        st.warning(
            f"{len(skipped)} entities were refused by their API at the last sync; what depends on them is "
            "empty until the key or account allows them."
        )
        components.table(
            skipped,
            "skipped_entities",
            column_config={
                "source": "Source",
                "entity": "Entity",
                "status_code": number("HTTP status", format="%d"),
                "message": "What the API said",
                "seen_at": when("Last tried (UTC)", format="YYYY-MM-DD HH:mm"),
            },
        )
else:
    components.has_or_note(info, queries.SKIPPED, *queries.SKIPPED_COLUMNS, what="The skipped entities")

st.subheader("Freshness", help=ctx.help(definitions.FRESHNESS))
fresh = queries.freshness(snapshot, info)
if info.published_at is not None:
    fresh = fresh.assign(
        age_hours=(pd.Timestamp(info.published_at) - pd.to_datetime(fresh["latest_at"], utc=True))
        .dt.total_seconds()
        .div(3600)
    )
components.table(
    fresh,
    "freshness",
    column_config={
        "source": "Source",
        "what": "Newest record",
        "latest_at": when("At (UTC)", format="YYYY-MM-DD HH:mm"),
        "age_hours": number("Age at publish (h)", format="%.1f"),
    },
)

st.subheader("Rows per table", help=ctx.help(definitions.ROW_COUNTS))
components.table(
    queries.row_counts(snapshot, info),
    "row_counts",
    column_config={"table_name": "Table (marts)", "row_count": number("Rows", format="localized")},
)

st.subheader("Data coverage", help=ctx.help(definitions.DATA_COVERAGE))
if info.has(queries.COVERAGE):
    coverage = queries.coverage(snapshot)
    computable = queries.computable_share(coverage)
    if not computable.empty:
        components.chart(charts.coverage_per_month(computable))
    components.table(
        coverage,
        "metrics_data_coverage",
        column_config={
            "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
            "metric_name": "Metric",
            "coverage_status": "Status",
            "is_computable": st.column_config.CheckboxColumn("Computable"),
            "incident_count": number("Incidents"),
            "eligible_incident_count": number("Incidents in metrics"),
            "share_of_eligible": st.column_config.ProgressColumn(
                "Share", format="percent", min_value=0, max_value=1
            ),
        },
    )
else:
    components.has_or_note(info, queries.COVERAGE, what="Data coverage")

st.subheader("Definitions")
st.caption(
    "Every number of the dashboard: what the dashboard computes, then the dbt docs of the marts and columns "
    "it rests on (copied into the snapshot when it was published; the metric ledger is docs/metrics.md)."
)
for name, definition in definitions.LEDGER.items():
    with st.expander(name):
        st.markdown(ctx.help(definition))
ledger = pd.DataFrame(
    {"metric": list(definitions.LEDGER), "definition": [ctx.help(d) for d in definitions.LEDGER.values()]}
)
st.download_button(
    "Download CSV",
    components.csv_of(ledger),
    file_name="definitions.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    key="download_definitions",
)

st.subheader("Marts and columns", help="The dbt description and privacy tag of every mart and column.")
if ctx.docs:
    components.table(
        queries.mart_docs(ctx.docs),
        "mart_definitions",
        column_config={
            "model_name": "Mart",
            "column_name": "Column",
            "privacy": "Privacy",
            "description": st.column_config.TextColumn("dbt description", width="large"),
        },
    )
else:
    components.has_or_note(info, "meta.definitions", what="The dbt definitions")
