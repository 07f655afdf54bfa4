"""A hand-made published snapshot with the contracted marts (docs/contract.md#marts), for AppTest and
browser tests.

`sample_incidents` draws `fct_incidents` in Python; every other mart is derived from it in DuckDB SQL
with hash-based pseudo-random numbers (deterministic, and fast enough to build a `large`-sized snapshot
of ~15,000 incidents and ~1M timeline rows in seconds: `python tests/dashboards/dashboards_support.py`).
"""

from __future__ import annotations

import functools
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from exports.publish import Definition, write_definitions

APP_PATH = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2025, 6, 30)
SEVERITIES = {"Critical": 2, "Major": 1, "Minor": 0, None: None}
INCIDENT_TYPES = ("Default", "Customer-facing", "Security")
EXCLUDED_STATUS = ("declined", "merged", "canceled", "triage")
TIMEZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles")
SOURCES = ("incidentio", "slack", "zoom", "pagerduty")

# Every marts table the full fixture holds (the optional ones included).
ALL_MARTS = (
    "fct_incidents",
    "metrics_mttr",
    "dim_people",
    "fct_incident_roles",
    "fct_pagerduty_incidents",
    "fct_incident_timeline",
    "fct_incident_response",
    "metrics_responder_workload",
    "fct_follow_ups",
    "fct_incident_severity_periods",
    "metrics_data_coverage",
    "fct_sync_runs",
)

FCT_INCIDENTS_DDL = """
CREATE TABLE marts.fct_incidents (
    incident_id VARCHAR, reference VARCHAR, name VARCHAR, mode VARCHAR, status_category VARCHAR,
    severity_name VARCHAR, severity_rank INTEGER, incident_type VARCHAR,
    created_at TIMESTAMPTZ, reported_at TIMESTAMPTZ, impact_started_at TIMESTAMPTZ, fixed_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, lead_email VARCHAR, slack_channel_id VARCHAR,
    zoom_meeting_id VARCHAR, pagerduty_incident_id VARCHAR,
    time_to_resolve_seconds DOUBLE, time_to_mitigate_seconds DOUBLE, is_in_metrics BOOLEAN,
    is_status_in_metrics BOOLEAN,
    is_duration_invalid BOOLEAN, resolved_at_source VARCHAR, pagerduty_link_source VARCHAR,
    permalink VARCHAR
)
"""

# metrics_mttr as the dbt model defines it, with the distribution-free 95% interval of the median from
# marts.dim_median_confidence_ranks (exact ranks, written by `exact_median_ranks`; none beyond them).
METRICS_MTTR_SQL = """
CREATE TABLE marts.metrics_mttr AS
WITH grouped AS (
    SELECT
        date_trunc('month', reported_at)::DATE AS month,
        severity_name,
        count(*) AS incident_count,
        count(resolved_at) AS resolved_count,
        avg(time_to_resolve_seconds) AS mttr_mean_seconds,
        quantile_cont(time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
        quantile_cont(time_to_resolve_seconds, 0.9) AS mttr_p90_seconds,
        list_sort(list(time_to_resolve_seconds) FILTER (WHERE time_to_resolve_seconds IS NOT NULL)) AS d
    FROM marts.fct_incidents
    WHERE is_in_metrics
    GROUP BY ALL
)
SELECT g.* EXCLUDE (d),
    g.d[r.lower_rank] AS mttr_median_ci_lower_seconds,
    g.d[r.upper_rank] AS mttr_median_ci_upper_seconds
FROM grouped AS g
LEFT JOIN marts.dim_median_confidence_ranks AS r ON r.sample_size = len(g.d)
"""

RANKS_UP_TO = 2000  # exact ranks (dbt's dim_median_confidence_ranks approximates beyond: not needed here)


def exact_median_ranks(up_to: int = RANKS_UP_TO) -> list[tuple[int, int | None, int | None]]:
    """(n, l, n + 1 - l) for n = 1..up_to: l is the largest rank with P(B <= l - 1) <= 2.5% for
    B ~ binomial(n, 1/2), in exact integers; (n, None, None) when no rank qualifies (n < 6)."""
    rows: list[tuple[int, int | None, int | None]] = []
    for n in range(1, up_to + 1):
        total, cumulative, term, lower = 1 << n, 0, 1, None
        for k in range(n + 1):  # cumulative = sum of C(n, i) for i <= k
            cumulative += term
            if 40 * cumulative > total:
                break
            lower = k + 1  # P(B <= k) <= 2.5%: rank k + 1 qualifies
            term = term * (n - k) // (k + 1)
        rows.append((n, lower, None if lower is None else n + 1 - lower))
    return rows


# Deterministic pseudo-random helpers: u(key) is uniform in [0, 1), lognormal(key, mu, sigma) is skewed.
MACROS = """
CREATE TEMP MACRO u(k) AS (hash(k::VARCHAR) % 1000003) / 1000003.0;
CREATE TEMP MACRO lognormal(k, mu, sigma) AS exp(
    mu + sigma * sqrt(-2 * ln(1 - u(k || ':a'))) * cos(2 * pi() * u(k || ':b'))
);
"""

DERIVED_MARTS_SQL = """
CREATE TABLE marts.dim_people AS
SELECT
    'person' || i || '@example.com' AS person_email,
    'Person ' || i AS name,
    '01USER' || lpad(i::VARCHAR, 5, '0') AS incidentio_user_id,
    'U' || lpad(i::VARCHAR, 8, '0') AS slack_user_id,
    'z' || i AS zoom_user_id,
    'PU' || lpad(i::VARCHAR, 5, '0') AS pagerduty_user_id,
    $timezones[1 + i % len($timezones)] AS timezone
FROM range($people) AS t(i);

CREATE TABLE marts.fct_incident_roles AS
SELECT incident_id, 'Incident Lead' AS role_name, 'lead' AS role_type, lead_email AS person_email
FROM marts.fct_incidents WHERE lead_email IS NOT NULL
UNION ALL
SELECT incident_id, 'Communications Lead', 'custom',
       'person' || (hash(incident_id || 'comms') % $people) || '@example.com'
FROM marts.fct_incidents WHERE u(incident_id || 'comms') < 0.55
UNION ALL
SELECT incident_id, 'Scribe', 'custom',
       'person' || (hash(incident_id || 'scribe') % $people) || '@example.com'
FROM marts.fct_incidents WHERE u(incident_id || 'scribe') < 0.3;

-- Per incident a few dozen events across the four tools, within its life (and a little before it).
CREATE TABLE marts.fct_incident_timeline AS
WITH spans AS (
    SELECT incident_id, reported_at, lead_email, slack_channel_id, zoom_meeting_id, pagerduty_incident_id,
           greatest(coalesce(resolved_at, reported_at + INTERVAL 6 HOUR), reported_at + INTERVAL 10 MINUTE)
               AS ends_at,
           ($events_min + hash(incident_id || 'n') % $events_spread)::BIGINT AS n
    FROM marts.fct_incidents
),
events AS (
    SELECT s.*, e.k, incident_id || ':' || e.k AS key
    FROM spans AS s, LATERAL range(s.n) AS e(k)
),
typed AS (
    SELECT *,
        CASE
            WHEN k = 0 AND pagerduty_incident_id IS NOT NULL THEN 'pagerduty'
            WHEN k = 1 THEN 'incidentio'
            ELSE $sources[1 + (hash(key || 's') % 10)::INTEGER // 3 % 4]
        END AS source
    FROM events
)
SELECT
    incident_id,
    CASE WHEN k = 0 THEN reported_at - INTERVAL 3 MINUTE
         ELSE reported_at + to_seconds(u(key || 't') * epoch(ends_at - reported_at)) END AS occurred_at,
    source,
    CASE source
        WHEN 'incidentio' THEN CASE WHEN u(key || 'e') < 0.2 THEN 'severity_change' ELSE 'status_change' END
        WHEN 'slack' THEN CASE WHEN u(key || 'e') < 0.3 THEN 'thread_reply' ELSE 'message' END
        WHEN 'zoom' THEN CASE WHEN u(key || 'e') < 0.5 THEN 'join' ELSE 'leave' END
        ELSE CASE WHEN k = 0 THEN 'trigger_log_entry'
                  WHEN u(key || 'e') < 0.5 THEN 'notify_log_entry'
                  WHEN u(key || 'e') < 0.85 THEN 'acknowledge_log_entry'
                  ELSE 'escalate_log_entry' END
    END AS event_type,
    CASE WHEN k = 2 AND lead_email IS NOT NULL THEN lead_email
         ELSE 'person' || (hash(key || 'p') % $people) || '@example.com' END AS person_email,
    CASE source
        WHEN 'slack' THEN 'Message in ' || coalesce(slack_channel_id, 'the channel') || ' #' || k
        WHEN 'zoom' THEN 'Call ' || coalesce(zoom_meeting_id, '?')
        WHEN 'pagerduty' THEN 'PagerDuty ' || coalesce(pagerduty_incident_id, '?')
        ELSE 'Update #' || k
    END AS detail
FROM typed;

-- The lead's first event in the timeline stands for their engagement (a fixture's simplification).
CREATE TABLE marts.fct_incident_response AS
SELECT
    f.incident_id,
    f.reference,
    f.lead_email,
    greatest(0, epoch(min(t.occurred_at) - f.reported_at)) AS seconds_to_lead_engaged,
    f.is_in_metrics,
    f.reported_at
FROM marts.fct_incidents AS f
LEFT JOIN marts.fct_incident_timeline AS t ON t.incident_id = f.incident_id AND t.person_email = f.lead_email
GROUP BY f.incident_id, f.reference, f.lead_email, f.is_in_metrics, f.reported_at;

CREATE TABLE marts.fct_pagerduty_incidents AS
WITH linked AS (
    SELECT pagerduty_incident_id, incident_id, reported_at - INTERVAL 3 MINUTE AS created_at
    FROM marts.fct_incidents WHERE pagerduty_incident_id IS NOT NULL
),
unlinked AS (
    SELECT 'PUNL' || lpad(i::VARCHAR, 7, '0') AS pagerduty_incident_id, NULL::VARCHAR AS incident_id,
           $first_day::TIMESTAMPTZ + to_seconds(u('pd' || i) * $span_seconds) AS created_at
    FROM range($unlinked_pages) AS t(i)
),
pages AS (SELECT * FROM linked UNION ALL SELECT * FROM unlinked),
timed AS (
    SELECT *,
        CASE WHEN u(pagerduty_incident_id || 'ack') < 0.9
             THEN round(lognormal(pagerduty_incident_id || 'ackd', 5.0, 1.0), 3) END AS seconds_to_first_ack,
        round(lognormal(pagerduty_incident_id || 'res', 8.0, 1.1), 3) AS seconds_to_resolve
    FROM pages
)
SELECT
    pagerduty_incident_id,
    row_number() OVER (ORDER BY created_at, pagerduty_incident_id) AS incident_number,
    'service-' || (hash(pagerduty_incident_id) % 7) AS service_name,
    CASE WHEN u(pagerduty_incident_id || 'urg') < 0.7 THEN 'high' ELSE 'low' END AS urgency,
    CASE WHEN u(pagerduty_incident_id || 'pri') < 0.5 THEN 'P' || (1 + hash(pagerduty_incident_id) % 3) END
        AS priority_name,
    created_at,
    created_at + to_seconds(seconds_to_first_ack) AS first_acknowledged_at,
    created_at + to_seconds(seconds_to_resolve) AS resolved_at,
    seconds_to_first_ack,
    seconds_to_resolve,
    (hash(pagerduty_incident_id || 'esc') % 3)::INTEGER AS escalation_count,
    (1 + hash(pagerduty_incident_id || 'int') % 4)::INTEGER AS interruption_count,
    incident_id
FROM timed;

-- Person x ISO week, from the timeline (a simplified workload rule is enough for a fixture).
CREATE TABLE marts.metrics_responder_workload AS
SELECT
    t.person_email,
    date_trunc('week', t.occurred_at)::DATE AS week,
    count(DISTINCT t.incident_id) AS incident_count,
    count(*) FILTER (WHERE t.source = 'slack') AS slack_message_count,
    round(sum(CASE WHEN t.source = 'zoom' THEN 5 + u(t.incident_id || t.occurred_at) * 40 ELSE 0 END), 2)
        AS zoom_minutes,
    count(*) FILTER (WHERE t.event_type = 'notify_log_entry') AS page_count,
    count(*) FILTER (
        WHERE t.event_type = 'notify_log_entry'
          AND (hour(timezone(p.timezone, t.occurred_at)) >= 22
               OR hour(timezone(p.timezone, t.occurred_at)) < 8)
    ) AS sleep_hour_page_count,
    10.0 * count(*) AS workload_minutes
FROM marts.fct_incident_timeline AS t
JOIN marts.dim_people AS p USING (person_email)
GROUP BY ALL;

CREATE TABLE marts.fct_follow_ups AS
WITH drawn AS (
    SELECT i.incident_id, i.resolved_at, f.k, i.incident_id || ':fu' || f.k AS key
    FROM marts.fct_incidents AS i, LATERAL range((hash(i.incident_id || 'fu') % 4)::INTEGER) AS f(k)
    WHERE i.status_category IN ('closed', 'learning') AND i.resolved_at IS NOT NULL
),
statused AS (
    SELECT *,
        CASE WHEN u(key || 'st') < 0.35 THEN 'outstanding' WHEN u(key || 'st') < 0.8 THEN 'completed'
             WHEN u(key || 'st') < 0.92 THEN 'not_doing' ELSE 'deleted' END AS status,
        resolved_at + to_seconds(3600 + u(key || 'c') * 86400) AS created_at
    FROM drawn
)
SELECT
    '01FU' || md5(key)[:20] AS follow_up_id,
    incident_id,
    'Follow-up ' || k || ' of ' || incident_id AS title,
    status,
    CASE WHEN u(key || 'pr') < 0.8 THEN ['Low', 'Medium', 'High'][1 + (hash(key) % 3)::INTEGER] END
        AS priority_name,
    CASE WHEN u(key || 'as') < 0.85 THEN 'person' || (hash(key || 'as') % $people) || '@example.com' END
        AS assignee_email,
    created_at,
    CASE WHEN status = 'completed'
         THEN created_at + to_seconds(lognormal(key || 'done', 13.0, 1.0)) END AS completed_at,
    status = 'outstanding' AS is_open,
    status = 'completed' AS is_completed
FROM statused;

-- The severity an incident held and for how long: some were declared one step lower, then escalated.
CREATE TABLE marts.fct_incident_severity_periods AS
WITH base AS (
    SELECT incident_id, severity_name, severity_rank, reported_at,
           coalesce(resolved_at, $last_moment::TIMESTAMPTZ) AS ends_at,
           severity_rank > 0 AND u(incident_id || 'esc') < 0.3 AS escalated
    FROM marts.fct_incidents
    WHERE severity_name IS NOT NULL AND coalesce(resolved_at, $last_moment::TIMESTAMPTZ) > reported_at
),
periods AS (
    SELECT incident_id,
           CASE severity_rank - 1 WHEN 1 THEN 'Major' ELSE 'Minor' END AS severity_name,
           severity_rank - 1 AS severity_rank,
           reported_at AS started_at,
           reported_at + (ends_at - reported_at) * 0.3 AS ended_at
    FROM base WHERE escalated
    UNION ALL
    SELECT incident_id, severity_name, severity_rank,
           CASE WHEN escalated THEN reported_at + (ends_at - reported_at) * 0.3 ELSE reported_at END,
           ends_at
    FROM base
)
SELECT *, epoch(ended_at - started_at) AS seconds_at_severity,
       row_number() OVER (PARTITION BY incident_id ORDER BY started_at) AS period_number,
       ended_at = max(ended_at) OVER (PARTITION BY incident_id) AS is_current
FROM periods;

CREATE TABLE marts.metrics_data_coverage AS
WITH statuses AS (
    SELECT date_trunc('month', reported_at)::DATE AS month, m.metric_name, m.coverage_status
    FROM marts.fct_incidents,
    LATERAL (VALUES
        ('time_to_resolve', CASE WHEN is_duration_invalid THEN 'invalid_duration'
                                 WHEN resolved_at IS NULL THEN 'not_resolved' ELSE 'computable' END),
        ('pagerduty_response', CASE WHEN pagerduty_incident_id IS NULL THEN 'no_pagerduty_link'
                                    ELSE 'computable' END),
        ('zoom_participation', CASE WHEN zoom_meeting_id IS NULL THEN 'no_zoom_call' ELSE 'computable' END)
    ) AS m(metric_name, coverage_status)
    WHERE is_in_metrics
),
counted AS (SELECT metric_name, month, coverage_status, count(*) AS incident_count FROM statuses GROUP BY ALL)
SELECT metric_name, month, coverage_status, coverage_status = 'computable' AS is_computable,
       incident_count::INTEGER AS incident_count,
       (sum(incident_count) OVER (PARTITION BY metric_name, month))::INTEGER AS eligible_incident_count,
       incident_count / sum(incident_count) OVER (PARTITION BY metric_name, month) AS share_of_eligible
FROM counted;

CREATE TABLE marts.fct_sync_runs AS
SELECT
    source,
    CASE WHEN source = 'zoom' AND r = 0 THEN 'failed' ELSE 'ok' END AS status,
    (30 + 10 * r)::DOUBLE AS duration_seconds,
    NOT (source = 'zoom' AND r = 0) AS is_success,
    r = 3 AS is_full_refresh,
    TIMESTAMPTZ '2025-07-01 05:00:00+00' - to_hours(6 * r) AS started_at,
    TIMESTAMPTZ '2025-07-01 05:00:00+00' - to_hours(6 * r) + to_seconds(30 + 10 * r) AS finished_at
FROM unnest($sources) AS s(source), range(4) AS t(r);
"""


def sample_incidents(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Incidents of every mode and status over FIRST_DAY..LAST_DAY, with skewed durations and a few
    data errors (resolved before reported: duration null)."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days + 1
    leads = max(9, n // 50)
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
        invalid = False
        if status in ("closed", "learning"):
            ttr = round(rng.lognormvariate(8.5, 1.2), 3)  # median ~1.4 h, long tail
            if i % 37 == 0:  # hand-edited timestamps: end before start is a data error
                resolved, ttr, invalid = reported - timedelta(minutes=5), None, True
            else:
                resolved = reported + timedelta(seconds=ttr)
        pagerduty = f"PLNK{i:07d}" if rng.random() < 0.6 else None
        rows.append(
            {
                "incident_id": f"01INC{i:05d}",
                "reference": f"INC-{i + 1}",
                "name": f"Incident {i + 1}: {rng.choice(['api', 'db', 'auth', 'queue'])} degraded",
                "mode": mode,
                "status_category": status,
                "severity_name": severity,
                "severity_rank": SEVERITIES[severity],
                "incident_type": INCIDENT_TYPES[0 if i % 5 else 1 + (i // 5) % 2],
                "created_at": reported,
                "reported_at": reported,
                "impact_started_at": None,
                "fixed_at": None,
                "resolved_at": resolved,
                "closed_at": resolved,
                "lead_email": f"person{i % leads}@example.com" if i % 11 else None,
                "slack_channel_id": f"C{i:08d}",
                "zoom_meeting_id": str(80000000000 + i) if i % 3 == 0 else None,
                "pagerduty_incident_id": pagerduty,
                "time_to_resolve_seconds": ttr,
                "time_to_mitigate_seconds": None,
                "is_in_metrics": mode == "standard" and status not in EXCLUDED_STATUS,
                "is_status_in_metrics": status not in EXCLUDED_STATUS,
                "is_duration_invalid": invalid,
                "resolved_at_source": None if resolved is None else "timestamp",
                "pagerduty_link_source": None if pagerduty is None else "attachment",
                "permalink": f"https://app.incident.io/acme/incidents/{i + 1}" if i % 2 else None,
            }
        )
    df = pd.DataFrame(rows)
    for column in ("created_at", "reported_at", "impact_started_at", "fixed_at", "resolved_at", "closed_at"):
        df[column] = pd.to_datetime(df[column], utc=True)
    return df


def build_published_db(
    path: Path,
    incidents: pd.DataFrame | None = None,
    with_tables: bool = True,
    *,
    marts: tuple[str, ...] = ALL_MARTS,
    people: int = 60,
    events_per_incident: tuple[int, int] = (10, 50),
    unlinked_pages: int | None = None,
    definitions: list[Definition] | None = None,
    with_ranks: bool = True,
) -> Path:
    """Write a published snapshot. `marts` picks the tables kept (fct_incidents and metrics_mttr always);
    the other parameters size the derived marts. `definitions` (from a dbt manifest) become
    meta.definitions as the publisher writes them; `with_ranks` fills marts.dim_median_confidence_ranks
    (left empty otherwise: a rank table that lists no sample size)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE SCHEMA marts")
        ranks = pd.DataFrame(
            _ranks() if with_ranks else [], columns=["sample_size", "lower_rank", "upper_rank"]
        )
        con.register("ranks_df", ranks)
        con.execute(
            "CREATE TABLE marts.dim_median_confidence_ranks AS SELECT sample_size::INTEGER AS sample_size, "
            "lower_rank::INTEGER AS lower_rank, upper_rank::INTEGER AS upper_rank FROM ranks_df"
        )
        con.unregister("ranks_df")
        if definitions is not None:
            write_definitions(con, definitions)
        if with_tables:
            con.execute(FCT_INCIDENTS_DDL)
            if incidents is not None and len(incidents):
                con.register("incidents_df", incidents)
                con.execute("INSERT INTO marts.fct_incidents BY NAME SELECT * FROM incidents_df")
                con.unregister("incidents_df")
            con.execute(METRICS_MTTR_SQL)
            if set(marts) - {"fct_incidents", "metrics_mttr"}:
                _derive_marts(
                    con,
                    len(incidents) if incidents is not None else 0,
                    people,
                    events_per_incident,
                    unlinked_pages,
                )
                for table in set(ALL_MARTS) - set(marts):
                    con.execute(f"DROP TABLE marts.{table}")
            con.execute(
                """
                CREATE TABLE marts._published AS
                SELECT table_name, estimated_size AS row_count,
                       TIMESTAMPTZ '2025-07-01 06:00:00+00' AS published_at, 'test' AS source_path
                FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name <> '_published'
                """
            )
            # estimated_size is exact for freshly written tables, but be sure:
            for (table,) in con.execute("SELECT table_name FROM marts._published").fetchall():
                con.execute(
                    f"UPDATE marts._published SET row_count = (SELECT count(*) FROM marts.{table}) "
                    "WHERE table_name = ?",
                    [table],
                )
    finally:
        con.close()
    return path


@functools.cache
def _ranks() -> list[tuple[int, int | None, int | None]]:
    return exact_median_ranks()


def _derive_marts(
    con: duckdb.DuckDBPyConnection,
    incident_count: int,
    people: int,
    events_per_incident: tuple[int, int],
    unlinked_pages: int | None,
) -> None:
    for statement in MACROS.split(";"):
        if statement.strip():
            con.execute(statement)
    span_seconds = ((LAST_DAY - FIRST_DAY).days + 1) * 86400
    params = {
        "people": people,
        "timezones": list(TIMEZONES),
        "sources": list(SOURCES),
        "events_min": events_per_incident[0],
        "events_spread": max(1, events_per_incident[1] - events_per_incident[0]),
        "first_day": datetime.combine(FIRST_DAY, datetime.min.time(), UTC),
        "last_moment": datetime.combine(LAST_DAY, datetime.max.time(), UTC),
        "span_seconds": span_seconds,
        "unlinked_pages": incident_count if unlinked_pages is None else unlinked_pages,
    }
    for statement in DERIVED_MARTS_SQL.split(";\n"):
        if statement.strip():
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)


def build_large_snapshot(path: Path) -> Path:
    """A snapshot of the `large` sandbox's size: 15,000 incidents, ~1M timeline rows, 700 people,
    ~60,000 PagerDuty incidents."""
    return build_published_db(
        path,
        sample_incidents(n=15_000, seed=11),
        people=700,
        events_per_incident=(30, 104),
        unlinked_pages=51_000,
    )


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/large.published.duckdb")
    target.unlink(missing_ok=True)
    build_large_snapshot(target)
    print(target)
