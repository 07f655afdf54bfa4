"""First-run page: shown instead of the dashboard while there is no usable published snapshot."""

import streamlit as st

from dashboards.snapshot import current_snapshot, snapshot_info
from pipelines.settings import get_settings

published_path = get_settings().published_path
snapshot = current_snapshot()
info = snapshot_info(snapshot.path, snapshot.version) if snapshot else None

st.title("incident-lake")
st.subheader("No data yet")
if snapshot is None:
    st.markdown(
        f"The dashboard reads the published marts snapshot at `{published_path}`, which does not exist yet."
    )
else:
    reason = info.problem if info is not None and info.problem else "It cannot be read."
    st.markdown(f"The published marts snapshot at `{published_path}` cannot feed the dashboard yet. {reason}")

st.markdown(
    """
Fill it with one of these commands, then reload this page:

- `incident-lake demo` pulls simulated incident.io, Slack, Zoom and PagerDuty data from the built-in
  sandbox, builds the marts and publishes them: the quickest way to see the dashboard.
- `incident-lake run` does the same with your real accounts (sync, dbt build, export) once their API
  credentials are set (`INCIDENTIO_API_KEY`, `SLACK_BOT_TOKEN`, `ZOOM_*`, `PAGERDUTY_API_TOKEN`).

Set `INCIDENT_LAKE_PUBLISHED_DB` if the snapshot lives elsewhere.
"""
)
