"""incident-lake dashboard: the entrypoint (`streamlit run dashboards/streamlit_app.py`).

It is the frame around every page: page config, the global sidebar filters (stored in session state for
the pages) and the navigation. Pages live in `app_pages/` and hold UI only; queries are in
`dashboards/data.py` and read the published marts snapshot, never the live warehouse.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.filters import render_sidebar_filters

st.set_page_config(page_title="incident-lake", page_icon=":material/local_fire_department:", layout="wide")

snapshot = data.current_snapshot()
info = data.snapshot_info(snapshot.path, snapshot.version) if snapshot else None

if info is None or not info.ready:
    # No snapshot (or an unusable one): a single first-run page instead of a traceback.
    page = st.navigation(
        [st.Page("app_pages/first_run.py", title="Get started", icon=":material/rocket_launch:")],
        position="hidden",
    )
else:
    render_sidebar_filters(info)
    # Sections to come: "Incidents" gets Severity and Explorer pages, "People" the People page,
    # "Process" Follow-ups, "Data" Data health. Add them here; each page reads `current_filters()`.
    page = st.navigation(
        {
            "Incidents": [
                st.Page(
                    "app_pages/overview.py", title="Overview", icon=":material/monitoring:", default=True
                ),
            ],
        }
    )

page.run()
