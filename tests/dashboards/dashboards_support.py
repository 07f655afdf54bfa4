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
import pytest

from exports.publish import Definition, write_definitions

APP_PATH = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"


def record_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, every statement the dashboard sends to the snapshot (cache misses only: cached
    results never reach it) is appended to the returned list. Returns that list."""
    import dashboards.sql

    sent: list[str] = []
    run = dashboards.sql._connect_and_run

    def recording(path: str, version: int, sql: str, params: dict) -> object:
        sent.append(sql)
        return run(path, version, sql, params)

    monkeypatch.setattr(dashboards.sql, "_connect_and_run", recording)
    return sent


# Every page but Overview (the home page), by title: the file AppTest switches to.
PAGES = {
    "Severity": "app_pages/severity.py",
    "Incident explorer": "app_pages/explorer.py",
    "People and roles": "app_pages/people.py",
    "Follow-ups": "app_pages/follow_ups.py",
    "Data health": "app_pages/data_health.py",
    "Teams": "app_pages/teams.py",
    "Post-incident": "app_pages/post_incident.py",
    "On-call": "app_pages/oncall.py",
}
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
# The marts of the teams, post-incident and on-call wave (docs/contract.md#marts): a snapshot published
# before them lacks them all (OLD_MARTS).
OLD_MARTS = ALL_MARTS
NEW_MARTS = (
    "dim_teams",
    "dim_team_members",
    "fct_incident_field_values",
    "fct_incident_teams",
    "metrics_mttr_by_team",
    "metrics_team_workload",
    "fct_postmortems",
    "metrics_post_incident",
    "fct_oncall_shifts",
    "fct_pages",
    "metrics_oncall_burden",
    "fct_skipped_entities",
)
ALL_MARTS = OLD_MARTS + NEW_MARTS
# fct_incidents' columns of the same wave.
ALERT_COLUMNS = ("first_alert_at", "time_to_declare_seconds")
# Hand-made teams: (team_id, team_name, incidentio_team_id, pagerduty_team_id, catalog entry of the team
# in the "Affected team" field). The last is a PagerDuty-only team, attributed through PagerDuty.
TEAMS = (
    ("01TEAMPAYMENTS", "Payments", "01TEAMPAYMENTS", "PTPAY01", "01CEPAYMENTS"),
    ("01TEAMPLATFORM", "Platform", "01TEAMPLATFORM", "PTPLAT1", "01CEPLATFORM"),
    ("01TEAMIDENTITY", "Identity", "01TEAMIDENTITY", None, "01CEIDENTITY"),
    ("01TEAMDATA", "Data", "01TEAMDATA", None, "01CEDATA"),
    ("pagerduty:PTOPS01", "Ops on-call", None, "PTOPS01", None),
)
ONCALL_PEOPLE = 30  # people 0..29 hold shifts; pages also reach people 30..39, who never do

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
    permalink VARCHAR, first_alert_at TIMESTAMPTZ, time_to_declare_seconds DOUBLE
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
CREATE TEMP MACRO band(local_ts) AS CASE
    WHEN hour(local_ts) >= 22 OR hour(local_ts) < 8 THEN 'sleep'
    WHEN isodow(local_ts) <= 5 AND hour(local_ts) < 18 THEN 'business'
    ELSE 'off' END;
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


# The teams, custom-field, post-incident and on-call marts, with the contract's columns and types, derived
# from the hand-made teams (`$teams`) and the marts above by the rules of docs/metrics.md (simplified
# where a fixture can be: shifts start on whole hours and never overlap for one person).
NEW_MARTS_SQL = """
CREATE TEMP TABLE team_seed AS
SELECT t.* FROM (SELECT unnest($teams, recursive := true)) AS t;

CREATE TABLE marts.dim_team_members AS
SELECT DISTINCT s.team_id, 'person' || i || '@example.com' AS person_email
FROM range($people) AS r(i)
JOIN team_seed AS s
  -- i % 6 = 5: in no team; every seventh person also in Platform (two teams)
  ON s.team_id = ($team_ids)[1 + (i % 6)::INTEGER]
  OR (i % 7 = 0 AND s.team_id = '01TEAMPLATFORM');

CREATE TABLE marts.dim_teams AS
SELECT s.team_id, s.team_name, s.incidentio_team_id, s.pagerduty_team_id,
       (SELECT count(DISTINCT m.person_email) FROM marts.dim_team_members AS m WHERE m.team_id = s.team_id)
           AS member_count
FROM team_seed AS s;

CREATE TABLE marts.fct_incident_field_values AS
WITH catalog_teams AS (
    SELECT row_number() OVER (ORDER BY team_id) - 1 AS k, team_name, catalog_entry_id
    FROM team_seed WHERE catalog_entry_id IS NOT NULL
),
affected AS (
    SELECT i.incident_id, c.team_name, c.catalog_entry_id
    FROM marts.fct_incidents AS i
    JOIN catalog_teams AS c
      ON u(i.incident_id || 'team') < 0.65
     AND (c.k = hash(i.incident_id || 'tk') % 4
          OR (u(i.incident_id || 'two') < 0.15 AND c.k = (hash(i.incident_id || 'tk') + 1) % 4))
)
SELECT incident_id, '01CFTEAM' AS custom_field_id, 'Affected team' AS custom_field_name,
       'multi_select' AS field_type, team_name AS value, NULL::DOUBLE AS value_numeric, catalog_entry_id
FROM affected
UNION ALL
SELECT incident_id, '01CFSERVICE', 'Affected service', 'single_select', v, NULL, '01CESVC' || upper(v)
FROM (SELECT incident_id, ['api', 'db', 'auth', 'queue'][1 + (hash(incident_id || 'svc') % 4)::INTEGER] AS v
      FROM marts.fct_incidents WHERE u(incident_id || 'svcp') < 0.8)
UNION ALL
SELECT incident_id, '01CFCUSTOMERS', 'Customers affected', 'numeric', n::VARCHAR, n::DOUBLE, NULL
FROM (SELECT incident_id, (hash(incident_id || 'cust') % 500)::INTEGER AS n
      FROM marts.fct_incidents WHERE u(incident_id || 'custp') < 0.5);

CREATE TABLE marts.fct_incident_teams AS
WITH by_field AS (
    SELECT DISTINCT v.incident_id, s.team_id, 'custom_field' AS attributed_by
    FROM marts.fct_incident_field_values AS v
    JOIN team_seed AS s ON s.catalog_entry_id = v.catalog_entry_id
)
SELECT * FROM by_field
UNION ALL
SELECT i.incident_id, 'pagerduty:PTOPS01', 'pagerduty'
FROM marts.fct_incidents AS i
WHERE i.pagerduty_incident_id IS NOT NULL AND u(i.incident_id || 'pdteam') < 0.5
  AND i.incident_id NOT IN (SELECT incident_id FROM by_field);

CREATE TABLE marts.metrics_mttr_by_team AS
SELECT
    date_trunc('month', i.reported_at)::DATE AS month,
    t.team_id,
    d.team_name,
    i.severity_name,
    count(*) AS incident_count,
    count(i.resolved_at) AS resolved_count,
    avg(i.time_to_resolve_seconds) AS mttr_mean_seconds,
    quantile_cont(i.time_to_resolve_seconds, 0.5) AS mttr_median_seconds,
    quantile_cont(i.time_to_resolve_seconds, 0.9) AS mttr_p90_seconds
FROM marts.fct_incidents AS i
LEFT JOIN marts.fct_incident_teams AS t ON t.incident_id = i.incident_id
LEFT JOIN marts.dim_teams AS d ON d.team_id = t.team_id
WHERE i.is_in_metrics
GROUP BY ALL;

CREATE TABLE marts.metrics_team_workload AS
WITH member_weeks AS (
    SELECT m.team_id, w.week, sum(w.workload_minutes) AS workload_minutes, sum(w.page_count) AS page_count,
           sum(w.sleep_hour_page_count) AS sleep_hour_page_count
    FROM marts.dim_team_members AS m
    JOIN marts.metrics_responder_workload AS w ON w.person_email = m.person_email
    GROUP BY ALL
),
team_incidents AS (
    SELECT t.team_id, date_trunc('week', i.reported_at)::DATE AS week, count(*) AS incident_count
    FROM marts.fct_incident_teams AS t
    JOIN marts.fct_incidents AS i ON i.incident_id = t.incident_id
    WHERE i.is_in_metrics
    GROUP BY ALL
),
team_weeks AS (SELECT team_id, week FROM member_weeks UNION SELECT team_id, week FROM team_incidents)
SELECT k.team_id, k.week, d.member_count, coalesce(n.incident_count, 0) AS incident_count,
       coalesce(w.workload_minutes, 0) AS workload_minutes, coalesce(w.page_count, 0) AS page_count,
       coalesce(w.sleep_hour_page_count, 0) AS sleep_hour_page_count
FROM team_weeks AS k
JOIN marts.dim_teams AS d ON d.team_id = k.team_id
LEFT JOIN member_weeks AS w ON w.team_id = k.team_id AND w.week = k.week
LEFT JOIN team_incidents AS n ON n.team_id = k.team_id AND n.week = k.week;

-- Post-mortems for most serious resolved incidents, in every status, a few completed before resolution.
CREATE TABLE marts.fct_postmortems AS
WITH drawn AS (
    SELECT i.incident_id, i.resolved_at, d.k, i.incident_id || ':pm' || d.k AS key
    FROM marts.fct_incidents AS i,
    LATERAL range(CASE WHEN u(i.incident_id || 'pm2') < 0.1 THEN 2 ELSE 1 END) AS d(k)
    WHERE i.resolved_at IS NOT NULL AND coalesce(i.severity_rank, 0) >= 1 AND u(i.incident_id || 'pm') < 0.75
),
timed AS (
    SELECT *,
        CASE WHEN u(key || 'st') < 0.3 THEN 'in_progress' WHEN u(key || 'st') < 0.5 THEN 'in_review'
             ELSE 'completed' END AS status,
        CASE WHEN u(key || 'early') < 0.06 THEN resolved_at - INTERVAL 2 HOUR
             ELSE resolved_at + to_seconds(3600 + u(key || 'c') * 72 * 3600) END AS created_at
    FROM drawn
),
updated AS (
    SELECT *,
        CASE WHEN u(key || 'early') < 0.06 THEN created_at + INTERVAL 1 HOUR
             ELSE created_at + to_seconds(3600 + u(key || 'u') * 240 * 3600) END AS updated_at
    FROM timed
)
SELECT '01PM' || md5(key)[:20] AS postmortem_id, incident_id, status,
       CASE WHEN u(key || 'ty') < 0.8 THEN 'in_app' ELSE 'external' END AS document_type,
       created_at, updated_at, CASE WHEN status = 'completed' THEN updated_at END AS completed_at
FROM updated;

CREATE TABLE marts.metrics_post_incident AS
WITH resolved AS (
    SELECT incident_id, date_trunc('month', resolved_at)::DATE AS month, severity_name, resolved_at
    FROM marts.fct_incidents WHERE is_in_metrics AND resolved_at IS NOT NULL
),
documents AS (
    SELECT incident_id, min(completed_at) AS first_completed_at FROM marts.fct_postmortems GROUP BY 1
),
incident_rows AS (
    SELECT r.month, r.severity_name, count(*) AS resolved_count,
           count(d.incident_id) AS postmortem_count,
           count(d.first_completed_at) AS postmortem_completed_count,
           quantile_cont(epoch(d.first_completed_at - r.resolved_at) / 3600, 0.5)
               FILTER (WHERE d.first_completed_at >= r.resolved_at) AS median_hours_to_postmortem_completed
    FROM resolved AS r LEFT JOIN documents AS d ON d.incident_id = r.incident_id
    GROUP BY ALL
),
follow_up_rows AS (
    SELECT r.month, r.severity_name, count(u.follow_up_id) AS follow_up_count,
           count(*) FILTER (WHERE u.status = 'completed') AS follow_up_completed_count,
           quantile_cont(epoch(u.completed_at - u.created_at) / 86400, 0.5)
               FILTER (WHERE u.status = 'completed') AS median_days_to_follow_up_completed
    FROM resolved AS r JOIN marts.fct_follow_ups AS u ON u.incident_id = r.incident_id
    GROUP BY ALL
)
SELECT i.month, i.severity_name, i.resolved_count, i.postmortem_count, i.postmortem_completed_count,
       i.median_hours_to_postmortem_completed, coalesce(f.follow_up_count, 0) AS follow_up_count,
       coalesce(f.follow_up_completed_count, 0) AS follow_up_completed_count,
       f.median_days_to_follow_up_completed
FROM incident_rows AS i
LEFT JOIN follow_up_rows AS f ON f.month = i.month AND f.severity_name IS NOT DISTINCT FROM i.severity_name;

-- A weekly rota: person p holds a 7-day shift from Monday 09:00 UTC in weeks where (week + p) % 6 = 0,
-- and every fifth person a 12-hour night override three weeks later.
CREATE TEMP TABLE shift_seed AS
WITH weeks AS (
    SELECT w, date_trunc('week', $first_day::TIMESTAMPTZ) + to_days(7 * w) AS monday
    FROM range(27) AS t(w)
)
SELECT 'person' || p || '@example.com' AS person_email, p,
       monday + INTERVAL 9 HOUR AS start_at, monday + INTERVAL 9 HOUR + INTERVAL 7 DAY AS end_at, w
FROM weeks, range($oncall_people) AS q(p)
WHERE (w + p) % 6 = 0
UNION ALL
SELECT 'person' || p || '@example.com', p, monday + INTERVAL 2 DAY + INTERVAL 20 HOUR,
       monday + INTERVAL 3 DAY + INTERVAL 8 HOUR, w
FROM weeks, range($oncall_people) AS q(p)
WHERE (w + p) % 6 = 3 AND p % 5 = 0;

CREATE TEMP TABLE shift_hours AS
SELECT s.person_email, s.start_at, g.h AS hour_start, band(timezone(d.timezone, g.h)) AS band
FROM shift_seed AS s
JOIN marts.dim_people AS d ON d.person_email = s.person_email,
LATERAL generate_series(s.start_at, s.end_at - INTERVAL 1 HOUR, INTERVAL 1 HOUR) AS g(h);

CREATE TABLE marts.fct_oncall_shifts AS
SELECT
    md5(s.person_email || s.start_at::VARCHAR)[:16] AS shift_id,
    CASE WHEN s.p % 2 = 0 THEN 'pagerduty' ELSE 'incidentio' END AS source,
    CASE WHEN s.p % 2 = 0 THEN 'PSCHED' ELSE '01SCHED' END || (s.p % 3) AS schedule_id,
    'Rota ' || (s.p % 3) AS schedule_name,
    CASE WHEN s.p % 2 = 0 THEN 1 + (s.p % 4 = 0)::INTEGER END AS escalation_level,
    s.person_email, s.start_at, s.end_at,
    count(*)::DOUBLE AS hours,
    (count(*) FILTER (WHERE h.band = 'business'))::DOUBLE AS business_hours,
    (count(*) FILTER (WHERE h.band = 'off'))::DOUBLE AS off_hours,
    (count(*) FILTER (WHERE h.band = 'sleep'))::DOUBLE AS sleep_hours
FROM shift_seed AS s
JOIN shift_hours AS h ON h.person_email = s.person_email AND h.start_at = s.start_at
GROUP BY ALL;

CREATE TEMP TABLE page_seed AS
WITH pagerduty AS (
    SELECT 'pagerduty' AS source, pagerduty_incident_id AS key, incident_id, pagerduty_incident_id,
           NULL::VARCHAR AS escalation_id, created_at + INTERVAL 30 SECOND AS notified_at, urgency,
           first_acknowledged_at AS acknowledged_at
    FROM marts.fct_pagerduty_incidents
),
escalations AS (
    SELECT 'incidentio', incident_id || 'esc', incident_id, NULL, '01ESC' || md5(incident_id)[:16],
           reported_at - INTERVAL 2 MINUTE,
           CASE WHEN u(incident_id || 'urg') < 0.6 THEN 'high' ELSE 'low' END,
           CASE WHEN u(incident_id || 'eack') < 0.8
                THEN reported_at - INTERVAL 2 MINUTE + to_seconds(lognormal(incident_id || 'eackd', 4.5, 0.9))
           END
    FROM marts.fct_incidents WHERE u(incident_id || 'escp') < 0.3
)
SELECT *, 'person' || CASE WHEN u(key || 'who') < 0.8 THEN hash(key || 'p') % $oncall_people
                           ELSE $oncall_people + hash(key || 'p') % 10 END || '@example.com' AS person_email
FROM (SELECT * FROM pagerduty UNION ALL SELECT * FROM escalations);

CREATE TABLE marts.fct_pages AS
SELECT
    md5(p.source || p.key || p.person_email)[:20] AS page_id, p.source, p.person_email, p.notified_at,
    p.urgency, p.incident_id, p.pagerduty_incident_id, p.escalation_id, p.acknowledged_at,
    band(timezone(d.timezone, p.notified_at)) = 'sleep' AS is_sleep_hour,
    EXISTS (SELECT 1 FROM shift_seed AS s WHERE s.person_email = p.person_email
            AND s.start_at <= p.notified_at AND p.notified_at < s.end_at) AS during_oncall_shift
FROM page_seed AS p
JOIN marts.dim_people AS d ON d.person_email = p.person_email;

CREATE TABLE marts.metrics_oncall_burden AS
WITH hours AS (
    SELECT person_email, date_trunc('week', hour_start)::DATE AS week,
           count(*)::DOUBLE AS oncall_hours,
           (count(*) FILTER (WHERE band = 'business'))::DOUBLE AS business_hours,
           (count(*) FILTER (WHERE band = 'off'))::DOUBLE AS off_hours,
           (count(*) FILTER (WHERE band = 'sleep'))::DOUBLE AS sleep_hours
    FROM shift_hours GROUP BY ALL
),
pages AS (
    SELECT p.person_email, date_trunc('week', p.notified_at)::DATE AS week, count(*) AS page_count,
           count(*) FILTER (WHERE band(timezone(d.timezone, p.notified_at)) = 'off') AS off_hours_page_count,
           count(*) FILTER (WHERE p.is_sleep_hour) AS sleep_hour_page_count,
           count(*) FILTER (WHERE NOT p.during_oncall_shift) AS pages_outside_shift_count
    FROM marts.fct_pages AS p JOIN marts.dim_people AS d ON d.person_email = p.person_email
    GROUP BY ALL
)
SELECT coalesce(h.person_email, p.person_email) AS person_email, coalesce(h.week, p.week) AS week,
       coalesce(h.oncall_hours, 0) AS oncall_hours, coalesce(h.business_hours, 0) AS business_hours,
       coalesce(h.off_hours, 0) AS off_hours, coalesce(h.sleep_hours, 0) AS sleep_hours,
       coalesce(p.page_count, 0) AS page_count, coalesce(p.off_hours_page_count, 0) AS off_hours_page_count,
       coalesce(p.sleep_hour_page_count, 0) AS sleep_hour_page_count,
       coalesce(p.pages_outside_shift_count, 0) AS pages_outside_shift_count
FROM hours AS h
FULL JOIN pages AS p ON p.person_email = h.person_email AND p.week = h.week;

CREATE TABLE marts.fct_skipped_entities AS
SELECT 'incidentio' AS source, 'schedules' AS entity,
       'The On-call feature is not enabled for this account.' AS message, 404 AS status_code,
       TIMESTAMPTZ '2025-07-01 05:00:00+00' AS seen_at;
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
        # Alerts from a stream of their own, so the incidents above stay what they were.
        alert_rng = random.Random(f"alert:{seed}:{i}")
        first_alert, to_declare = None, None
        if pagerduty is not None or alert_rng.random() < 0.2:
            first_alert = reported - timedelta(seconds=round(alert_rng.lognormvariate(5.5, 1.0), 3))
            to_declare = (reported - first_alert).total_seconds()
            if i % 29 == 0:  # declared before its alert fired: no valid time to declare
                first_alert, to_declare = reported + timedelta(minutes=4), None
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
                "first_alert_at": first_alert,
                "time_to_declare_seconds": to_declare,
            }
        )
    df = pd.DataFrame(rows)
    for column in (
        "created_at",
        "reported_at",
        "impact_started_at",
        "fixed_at",
        "resolved_at",
        "closed_at",
        "first_alert_at",
    ):
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
    team_fields = ("team_id", "team_name", "incidentio_team_id", "pagerduty_team_id", "catalog_entry_id")
    params["teams"] = [dict(zip(team_fields, t, strict=True)) for t in TEAMS]
    params["team_ids"] = [t[0] for t in TEAMS]
    params["oncall_people"] = ONCALL_PEOPLE
    for statement in (DERIVED_MARTS_SQL + NEW_MARTS_SQL).split(";\n"):
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
