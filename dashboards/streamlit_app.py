"""incident-lake dashboard: the entrypoint (`streamlit run dashboards/streamlit_app.py`).

It is the frame around every page: page config, the global sidebar filters (stored in session state for
the pages) and the navigation. Pages live in `app_pages/` and hold UI only; queries are in
`dashboards/queries/` (over `dashboards/sql.py` and `dashboards/snapshot.py`) and read the published marts
snapshot, never the live warehouse.
"""

from __future__ import annotations

import streamlit as st

from dashboards import warmup
from dashboards.filters import render_sidebar_filters
from dashboards.snapshot import current_snapshot, snapshot_docs, snapshot_info

st.set_page_config(page_title="incident-lake", page_icon=":material/local_fire_department:", layout="wide")

snapshot = current_snapshot()
info = snapshot_info(snapshot.path, snapshot.version) if snapshot else None

if info is None or not info.ready:
    # No snapshot (or an unusable one): a single first-run page instead of a traceback.
    page = st.navigation(
        [st.Page("app_pages/first_run.py", title="Get started", icon=":material/rocket_launch:")],
        position="hidden",
    )
else:
    assert snapshot is not None  # a ready info comes from a snapshot
    # Once per process: a background thread fills every page's default-filter queries of each new
    # snapshot version, so the pages a visitor opens are served from the cache.
    warmup.watch()
    render_sidebar_filters(info, snapshot_docs(snapshot.path, snapshot.version))
    # Every page reads the filters with `current_filters()` (Data health ignores them: it is about the
    # whole snapshot).
    page = st.navigation(
        {
            "Incidents": [
                st.Page(
                    "app_pages/overview.py", title="Overview", icon=":material/monitoring:", default=True
                ),
                st.Page("app_pages/severity.py", title="Severity", icon=":material/warning:"),
                st.Page("app_pages/explorer.py", title="Incident explorer", icon=":material/search:"),
            ],
            "People": [
                st.Page("app_pages/people.py", title="People and roles", icon=":material/group:"),
                st.Page("app_pages/teams.py", title="Teams", icon=":material/groups:"),
                st.Page("app_pages/oncall.py", title="On-call", icon=":material/notifications_active:"),
            ],
            "Process": [
                st.Page("app_pages/follow_ups.py", title="Follow-ups", icon=":material/task_alt:"),
                st.Page("app_pages/post_incident.py", title="Post-incident", icon=":material/rate_review:"),
            ],
            "Data": [
                st.Page("app_pages/data_health.py", title="Data health", icon=":material/health_and_safety:"),
            ],
        }
    )

page.run()
