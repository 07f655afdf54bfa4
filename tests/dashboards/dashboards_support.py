"""A hand-made published snapshot with the contracted marts (DESIGN §3), for AppTest and browser tests."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

APP_PATH = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2025, 6, 30)
SEVERITIES = {"Critical": 2, "Major": 1, "Minor": 0, None: None}
EXCLUDED_STATUS = ("declined", "merged", "canceled", "triage")

FCT_INCIDENTS_DDL = """
CREATE TABLE marts.fct_incidents (
    incident_id VARCHAR, reference VARCHAR, name VARCHAR, mode VARCHAR, status_category VARCHAR,
    severity_name VARCHAR, severity_rank INTEGER, incident_type VARCHAR,
    created_at TIMESTAMPTZ, reported_at TIMESTAMPTZ, impact_started_at TIMESTAMPTZ, fixed_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, lead_email VARCHAR, slack_channel_id VARCHAR,
    zoom_meeting_id VARCHAR, pagerduty_incident_id VARCHAR,
    time_to_resolve_seconds DOUBLE, time_to_mitigate_seconds DOUBLE, is_in_metrics BOOLEAN
)
"""

# metrics_mttr as DESIGN §5 defines it (the dbt model will do the same).
METRICS_MTTR_SQL = """
CREATE TABLE marts.metrics_mttr AS
SELECT
    date_trunc('month', reported_at)::DATE AS month,
    severity_name,
    count(*) AS incident_count,
    count(resolved_at) AS resolved_count,
    avg(time_to_resolve_seconds) AS mttr_mean_seconds,
    quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
    quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
FROM marts.fct_incidents
WHERE is_in_metrics
GROUP BY ALL
"""


def sample_incidents(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Incidents of every mode and status over FIRST_DAY..LAST_DAY, with skewed durations and a few
    data errors (resolved before reported: duration null)."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days + 1
    rows = []
    for i in range(n):
        # sqrt: incidents grow over time, so consecutive periods differ (and deltas are not zero).
        reported = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(
            seconds=int(span * 86400 * rng.random() ** 0.5) if i else 9 * 3600  # the first on FIRST_DAY
        )
        mode = rng.choices(["standard", "retrospective", "test", "tutorial"], [85, 8, 5, 2])[0]
        status = rng.choices(
            ["closed", "learning", "live", "declined", "triage", "merged", "canceled"], [70, 6, 8, 6, 4, 3, 3]
        )[0]
        severity = rng.choice(list(SEVERITIES))
        resolved = None
        ttr = None
        if status in ("closed", "learning"):
            ttr = round(rng.lognormvariate(8.5, 1.2), 3)  # median ~1.4 h, long tail
            if i % 37 == 0:  # hand-edited timestamps: end before start is a data error
                resolved, ttr = reported - timedelta(minutes=5), None
            else:
                resolved = reported + timedelta(seconds=ttr)
        rows.append(
            {
                "incident_id": f"01INC{i:05d}",
                "reference": f"INC-{i + 1}",
                "name": f"Incident {i + 1}",
                "mode": mode,
                "status_category": status,
                "severity_name": severity,
                "severity_rank": SEVERITIES[severity],
                "incident_type": "Default",
                "created_at": reported,
                "reported_at": reported,
                "impact_started_at": None,
                "fixed_at": None,
                "resolved_at": resolved,
                "closed_at": resolved,
                "lead_email": f"person{i % 9}@example.com",
                "slack_channel_id": f"C{i:08d}",
                "zoom_meeting_id": None,
                "pagerduty_incident_id": None,
                "time_to_resolve_seconds": ttr,
                "time_to_mitigate_seconds": None,
                "is_in_metrics": mode == "standard" and status not in EXCLUDED_STATUS,
            }
        )
    df = pd.DataFrame(rows)
    for column in ("created_at", "reported_at", "impact_started_at", "fixed_at", "resolved_at", "closed_at"):
        df[column] = pd.to_datetime(df[column], utc=True)
    return df


def build_published_db(path: Path, incidents: pd.DataFrame | None = None, with_tables: bool = True) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE SCHEMA marts")
        if with_tables:
            con.execute(FCT_INCIDENTS_DDL)
            if incidents is not None and len(incidents):
                con.register("incidents_df", incidents)
                con.execute("INSERT INTO marts.fct_incidents SELECT * FROM incidents_df")
                con.unregister("incidents_df")
            con.execute(METRICS_MTTR_SQL)
            con.execute(
                "CREATE TABLE marts._published AS SELECT 'fct_incidents' AS table_name, "
                "count(*) AS row_count, TIMESTAMPTZ '2025-07-01 06:00:00+00' AS published_at, "
                "'test' AS source_path FROM marts.fct_incidents"
            )
    finally:
        con.close()
    return path
