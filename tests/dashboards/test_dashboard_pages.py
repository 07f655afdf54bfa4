"""Every page beyond the Overview under AppTest: no exception, key numbers equal to a direct query on the
marts (written here independently of `dashboards.queries`), filters moving them as expected, and graceful
notes when an optional mart is missing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dashboards_support import (
    ALERT_COLUMNS,
    APP_PATH,
    LAST_DAY,
    OLD_MARTS,
    PAGES,
    build_published_db,
    record_queries,
    sample_incidents,
)
from streamlit.testing.v1 import AppTest

from dashboards.filters import (
    KEY_DATES,
    KEY_FIELD,
    KEY_FIELD_VALUES,
    KEY_SEVERITIES,
    KEY_TEAM,
    NO_TEAM,
)
from dashboards.formatting import format_duration
from dashboards.snapshot import close_readers

DEFAULT_START = LAST_DAY - timedelta(days=89)
PAYMENTS = "01TEAMPAYMENTS"  # a team of the fixture (dashboards_support.TEAMS)
SERVICE_FIELD = "01CFSERVICE"  # its "Affected service" custom field
# The incidents in the default period, as the sidebar has them by default (independent SQL).
FILTERED = """
    SELECT * FROM marts.fct_incidents
    WHERE is_in_metrics AND reported_at >= DATE '{start}' AND reported_at < DATE '{end}' + 1 {extra}
"""


def filtered(start: date = DEFAULT_START, end: date = LAST_DAY, extra: str = "") -> str:
    return FILTERED.format(start=start, end=end, extra=extra)


def scalar(db: Path, sql: str, params: list[Any] | None = None) -> Any:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()[0][0]
    finally:
        con.close()


def open_page(title: str) -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.run()
    at.switch_page(PAGES[title]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def frame_with(at: AppTest, *columns: str):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_renders_with_charts_tables_downloads_and_definitions(
    app_on_sample: Path, title: str
) -> None:
    at = open_page(title)
    assert not at.error
    assert not at.info, [i.value for i in at.info]  # the full snapshot has every optional mart
    assert all(m.help for m in at.metric if m.label not in {"Status", "Severity", "Type", "Lead"})
    assert len(at.get("download_button")) >= len(at.dataframe) >= 1  # every table downloadable
    for chart in at.get("vega_lite_chart"):
        assert '"title"' in chart.proto.spec  # every chart titled


def test_severity_numbers_equal_the_marts_and_follow_the_severity_filter(app_on_sample: Path) -> None:
    at = open_page("Severity")
    db = app_on_sample
    assert metric(at, "Incidents") == str(scalar(db, f"SELECT count(*) FROM ({filtered()})"))
    critical = scalar(db, f"SELECT count(*) FROM ({filtered()}) WHERE severity_name = 'Critical'")
    assert metric(at, "Critical incidents") == str(critical)

    table = frame_with(at, "severity", "mttr_median_hours").set_index("severity")
    for severity in ("Critical", "Major", "Minor"):
        median = scalar(
            db,
            f"SELECT median(time_to_resolve_seconds) FROM ({filtered()}) WHERE severity_name = ?",
            [severity],
        )
        assert table.loc[severity, "mttr_median_hours"] == pytest.approx(median / 3600)

    changed = scalar(
        db,
        f"""SELECT count(*) FROM (SELECT p.incident_id FROM marts.fct_incident_severity_periods p
            JOIN ({filtered()}) f USING (incident_id) GROUP BY 1
            HAVING count(DISTINCT p.severity_name) > 1)""",
    )
    assert changed > 0 and metric(at, "Incidents that changed severity") == str(changed)
    hours = frame_with(at, "severity", "total_hours").set_index("severity")
    total_critical = scalar(
        db,
        f"""SELECT sum(p.seconds_at_severity) FROM marts.fct_incident_severity_periods p
            JOIN ({filtered()}) f USING (incident_id) WHERE p.severity_name = 'Critical'""",
    )
    assert hours.loc["Critical", "total_hours"] == pytest.approx(total_critical / 3600)

    at.multiselect(key=KEY_SEVERITIES).set_value(["Major"]).run()
    assert not at.exception
    majors = scalar(db, f"SELECT count(*) FROM ({filtered()}) WHERE severity_name = 'Major'")
    assert metric(at, "Incidents") == str(majors)
    assert list(frame_with(at, "severity", "mttr_median_hours")["severity"]) == ["Major"]


def test_explorer_lists_searches_and_shows_one_timeline_with_links(app_on_sample: Path) -> None:
    at = open_page("Incident explorer")
    db = app_on_sample
    assert metric(at, "Matching incidents") == str(scalar(db, f"SELECT count(*) FROM ({filtered()})"))

    at.text_input(key="explorer_search").set_value("inc-12").run()
    assert not at.exception
    expected = scalar(
        db,
        f"SELECT count(*) FROM ({filtered()}) WHERE lower(reference) LIKE '%inc-12%' "
        "OR lower(name) LIKE '%inc-12%'",
    )
    assert expected > 0 and metric(at, "Matching incidents") == str(expected)

    incident_id = at.selectbox(key="explorer_incident").value
    events = frame_with(at, "occurred_at", "event_type")
    count = scalar(
        db, "SELECT count(*) FROM marts.fct_incident_timeline WHERE incident_id = ?", [incident_id]
    )
    assert len(events) == count > 0
    assert list(events["occurred_at"]) == sorted(events["occurred_at"])

    row = (
        duckdb.connect(str(db), read_only=True)
        .execute(
            "SELECT permalink, slack_channel_id, zoom_meeting_id, pagerduty_incident_id "
            "FROM marts.fct_incidents WHERE incident_id = ?",
            [incident_id],
        )
        .fetchall()[0]
    )
    urls = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert urls["incident.io"] == (row[0] or f"https://app.incident.io/incidents/{incident_id}")
    assert urls["Slack channel"] == f"https://slack.com/app_redirect?channel={row[1]}"
    if row[2]:
        assert urls["Zoom call"] == f"https://zoom.us/j/{row[2]}"
    if row[3]:
        assert urls["PagerDuty"] == f"https://app.pagerduty.com/incidents/{row[3]}"

    # The tool filter narrows the timeline to Slack only.
    at.multiselect(key="explorer_sources").set_value(["slack"]).run()
    slack = scalar(
        db,
        "SELECT count(*) FROM marts.fct_incident_timeline WHERE incident_id = ? AND source = 'slack'",
        [incident_id],
    )
    assert len(frame_with(at, "occurred_at", "event_type")) == slack


def test_people_numbers_equal_the_marts_and_follow_the_date_range(app_on_sample: Path) -> None:
    at = open_page("People and roles")
    db = app_on_sample
    assert metric(at, "Incident leads") == str(
        scalar(db, f"SELECT count(DISTINCT lead_email) FROM ({filtered()})")
    )
    no_lead = scalar(db, f"SELECT count(*) FROM ({filtered()}) WHERE lead_email IS NULL")
    assert metric(at, "Incidents without a lead") == str(no_lead)
    pages = scalar(
        db,
        f"""SELECT count(*) FROM marts.fct_incident_timeline t JOIN ({filtered()}) f USING (incident_id)
            WHERE t.source = 'pagerduty' AND t.event_type = 'notify_log_entry'""",
    )
    assert metric(at, "Pages to people") == str(pages)
    lead_seconds = scalar(
        db,
        f"""SELECT median(r.seconds_to_lead_engaged) FROM ({filtered()}) f
            JOIN marts.fct_incident_response r USING (incident_id)""",
    )
    assert lead_seconds is not None
    assert metric(at, "Time to lead (median)") == format_duration(lead_seconds)

    def workload_total(start: date, end: date) -> float:
        return float(
            scalar(
                db,
                "SELECT sum(workload_minutes) FROM marts.metrics_responder_workload "
                "WHERE week + 6 >= ?::DATE AND week <= ?::DATE",
                [start, end],
            )
        )

    people = frame_with(at, "person_email", "workload_hours")
    assert people["workload_hours"].sum() * 60 == pytest.approx(workload_total(DEFAULT_START, LAST_DAY))
    coverage = frame_with(at, "role_name", "coverage").set_index("role_name")
    leads = scalar(db, f"SELECT count(lead_email) / count(*) FROM ({filtered()})")
    assert coverage.loc["Incident Lead", "coverage"] == pytest.approx(leads)

    start, end = date(2025, 5, 1), date(2025, 5, 31)
    at.date_input(key=KEY_DATES).set_value((start, end)).run()
    assert not at.exception
    people = frame_with(at, "person_email", "workload_hours")
    assert people["workload_hours"].sum() * 60 == pytest.approx(workload_total(start, end))
    assert metric(at, "Incident leads") == str(
        scalar(db, f"SELECT count(DISTINCT lead_email) FROM ({filtered(start, end)})")
    )


def test_follow_up_numbers_equal_the_marts_and_follow_the_severity_filter(app_on_sample: Path) -> None:
    at = open_page("Follow-ups")
    db = app_on_sample

    def expected(extra: str = "") -> tuple[int, str]:
        open_count, completed, counted = (
            duckdb.connect(str(db), read_only=True)
            .execute(
                f"""SELECT count(*) FILTER (WHERE status = 'outstanding'),
                       count(*) FILTER (WHERE status = 'completed'),
                       count(*) FILTER (WHERE status <> 'deleted')
                FROM marts.fct_follow_ups u JOIN ({filtered(extra=extra)}) f USING (incident_id)"""
            )
            .fetchall()[0]
        )
        return open_count, f"{100 * completed / counted:.0f}%"

    open_count, rate = expected()
    assert open_count > 0
    assert metric(at, "Open follow-ups") == str(open_count)
    assert metric(at, "Completion rate") == rate
    assert len(frame_with(at, "title", "age")) == open_count
    by_owner = frame_with(at, "owner", "open_count")
    assert by_owner["open_count"].sum() == open_count

    at.multiselect(key=KEY_SEVERITIES).set_value(["Critical"]).run()
    assert not at.exception
    critical_open, critical_rate = expected("AND severity_name = 'Critical'")
    assert critical_open < open_count
    assert metric(at, "Open follow-ups") == str(critical_open)
    assert metric(at, "Completion rate") == critical_rate


def test_data_health_shows_syncs_row_counts_coverage_and_every_definition(app_on_sample: Path) -> None:
    at = open_page("Data health")
    db = app_on_sample
    syncs = frame_with(at, "source", "last_success_at").set_index("source")
    last_ok = scalar(
        db, "SELECT max(finished_at) FROM marts.fct_sync_runs WHERE source = 'zoom' AND is_success"
    )
    assert syncs.loc["zoom", "last_success_at"] == last_ok
    assert syncs.loc["zoom", "last_status"] == "failed"
    skipped = frame_with(at, "entity", "status_code")
    assert skipped[["source", "entity", "status_code", "message"]].values.tolist() == [
        ["incidentio", "schedules", 404, scalar(db, "SELECT message FROM marts.fct_skipped_entities")]
    ]
    assert [w.value for w in at.warning if "refused by their API" in w.value]
    counts = frame_with(at, "table_name", "row_count").set_index("table_name")
    assert counts.loc["fct_incident_timeline", "row_count"] == scalar(
        db, "SELECT count(*) FROM marts.fct_incident_timeline"
    )
    coverage = frame_with(at, "metric_name", "coverage_status")
    assert len(coverage) == scalar(db, "SELECT count(*) FROM marts.metrics_data_coverage")
    from dashboards.definitions import LEDGER

    assert [e.label for e in at.expander] == list(LEDGER)
    # Every mart and column the dbt project documents, with its description and privacy tag.
    docs = frame_with(at, "model_name", "column_name", "description")
    assert len(docs) == scalar(db, "SELECT count(*) FROM meta.definitions") > 100
    lead = docs[(docs["model_name"] == "fct_incidents") & (docs["column_name"] == "lead_email")].iloc[0]
    assert lead["description"] == scalar(
        db,
        "SELECT description FROM meta.definitions "
        "WHERE model_name = 'fct_incidents' AND column_name = 'lead_email'",
    )


@pytest.fixture
def app_on_bare_snapshot(tmp_path: Path, use_published) -> Path:
    """Only the two marts the dbt project has today: every other page part must say what it lacks."""
    db = build_published_db(
        tmp_path / "bare.duckdb", sample_incidents(n=120, seed=3), marts=("fct_incidents", "metrics_mttr")
    )
    use_published(db)
    return db


@pytest.mark.parametrize("title", list(PAGES))
def test_pages_degrade_to_notes_without_the_optional_marts(app_on_bare_snapshot: Path, title: str) -> None:
    at = open_page(title)
    assert not at.error
    notes = " ".join(i.value for i in at.info)
    if title != "Incident explorer" or at.selectbox:
        assert "marts." in notes


def test_columns_tagged_message_text_in_dbt_are_never_shown(
    tmp_path: Path, use_published, definitions
) -> None:
    """The privacy tag comes from the snapshot's dbt definitions: tag the timeline's `detail` as message
    text and the explorer's timeline table drops it (its CSV is built from the same frame)."""
    db = build_published_db(
        tmp_path / "tagged.duckdb", sample_incidents(n=120, seed=3), definitions=definitions
    )
    use_published(db)
    assert "detail" in frame_with(open_page("Incident explorer"), "occurred_at", "event_type").columns

    # The dashboard holds the snapshot open and DuckDB refuses a second in-process open for writing:
    # release it before editing the file in place (the product never does; publish replaces the file).
    close_readers()
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE meta.definitions SET privacy = 'message_text' "
        "WHERE model_name = 'fct_incident_timeline' AND column_name = 'detail'"
    )
    con.close()
    use_published(db)
    at = open_page("Incident explorer")
    events = frame_with(at, "occurred_at", "event_type")
    assert "detail" not in events.columns and len(events) > 0


EXPOSURES = {
    "Overview": "dashboard_overview",
    "Severity": "dashboard_severity",
    "Incident explorer": "dashboard_incident_explorer",
    "People and roles": "dashboard_people",
    "Follow-ups": "dashboard_follow_ups",
    "Data health": "dashboard_data_health",
    "Teams": "dashboard_teams",
    "Post-incident": "dashboard_post_incident",
    "On-call": "dashboard_oncall",
}


@pytest.mark.parametrize("title", list(EXPOSURES))
def test_each_page_reads_exactly_the_marts_its_dbt_exposure_names(
    app_on_sample: Path, dbt_manifest: Path, monkeypatch: pytest.MonkeyPatch, title: str
) -> None:
    """The queries a page really runs (recorded while it renders) against the exposure's depends_on."""
    import json
    import re

    seen = record_queries(monkeypatch)
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.run()
    if title != "Overview":
        seen.clear()  # the Overview runs first whatever the page: count only the page asked for
        at.switch_page(PAGES[title]).run()
    assert not at.exception
    # What the page reads with a team, with "no team" and with a custom-field filter too.
    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    at.selectbox(key=KEY_TEAM).set_value(NO_TEAM).run()
    at.selectbox(key=KEY_FIELD).set_value(SERVICE_FIELD).run()
    at.multiselect(key=KEY_FIELD_VALUES).set_value(["api"]).run()
    assert not at.exception, [e.value for e in at.exception]
    read = set()
    for sql in seen:
        read |= {m for m in re.findall(r"\bmarts\.(\w+)", sql) if not m.startswith("_")}
    exposure = json.loads(dbt_manifest.read_text())["exposures"][f"exposure.incident_lake.{EXPOSURES[title]}"]
    named = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    assert read == named


# ------------------------------------------------------------------------ the team and field filters
TEAM_INCIDENTS = "incident_id IN (SELECT incident_id FROM marts.fct_incident_teams WHERE team_id = '{team}')"
NO_TEAM_INCIDENTS = "incident_id NOT IN (SELECT incident_id FROM marts.fct_incident_teams)"
FIELD_INCIDENTS = (
    "incident_id IN (SELECT incident_id FROM marts.fct_incident_field_values "
    "WHERE custom_field_id = '{field}' AND value IN ({values}))"
)


def team_extra(team: str = PAYMENTS) -> str:
    return "AND " + (NO_TEAM_INCIDENTS if team == NO_TEAM else TEAM_INCIDENTS.format(team=team))


def field_extra(values: tuple[str, ...], field: str = SERVICE_FIELD) -> str:
    return "AND " + FIELD_INCIDENTS.format(field=field, values=", ".join(f"'{v}'" for v in values))


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_severity_and_follow_ups_follow_the_team_filter(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("Severity")
    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    assert not at.exception
    team_count = scalar(db, f"SELECT count(*) FROM ({filtered(extra=team_extra())})")
    assert 0 < team_count < scalar(db, f"SELECT count(*) FROM ({filtered()})")
    assert metric(at, "Incidents") == str(team_count)
    assert "team Payments" in at.caption[0].value

    at.selectbox(key=KEY_TEAM).set_value(NO_TEAM).run()
    assert metric(at, "Incidents") == str(
        scalar(db, f"SELECT count(*) FROM ({filtered(extra=team_extra(NO_TEAM))})")
    )

    at = open_page("Follow-ups")
    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    assert not at.exception
    open_count = scalar(
        db,
        f"""SELECT count(*) FROM marts.fct_follow_ups u JOIN ({filtered(extra=team_extra())}) f
            USING (incident_id) WHERE u.status = 'outstanding'""",
    )
    assert metric(at, "Open follow-ups") == str(open_count)


def test_explorer_follows_the_custom_field_filter(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("Incident explorer")
    at.selectbox(key=KEY_FIELD).set_value(SERVICE_FIELD).run()
    # No value picked yet: no filter.
    assert metric(at, "Matching incidents") == str(scalar(db, f"SELECT count(*) FROM ({filtered()})"))
    at.multiselect(key=KEY_FIELD_VALUES).set_value(["api", "db"]).run()
    assert not at.exception
    expected = scalar(db, f"SELECT count(*) FROM ({filtered(extra=field_extra(('api', 'db')))})")
    assert 0 < expected < scalar(db, f"SELECT count(*) FROM ({filtered()})")
    assert metric(at, "Matching incidents") == str(expected)
    assert "Affected service in (api, db)" in at.caption[0].value


def test_people_workload_follows_the_team_filter(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("People and roles")
    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    assert not at.exception
    people = frame_with(at, "person_email", "workload_hours")
    members = {
        r[0]
        for r in rows(db, f"SELECT person_email FROM marts.dim_team_members WHERE team_id = '{PAYMENTS}'")
    }
    assert set(people["person_email"]) <= members and len(people) > 0
    expected = scalar(
        db,
        "SELECT sum(workload_minutes) FROM marts.metrics_responder_workload WHERE week + 6 >= ?::DATE "
        f"AND week <= ?::DATE AND person_email IN (SELECT person_email FROM marts.dim_team_members "
        f"WHERE team_id = '{PAYMENTS}')",
        [DEFAULT_START, LAST_DAY],
    )
    assert people["workload_hours"].sum() * 60 == pytest.approx(float(expected))
    assert metric(at, "Incident leads") == str(
        scalar(db, f"SELECT count(DISTINCT lead_email) FROM ({filtered(extra=team_extra())})")
    )


# ------------------------------------------------------------------------------------ Teams page
def test_teams_numbers_equal_the_marts_and_follow_the_team_filter(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("Teams")
    per_team = {
        name: (count, median)
        for name, count, median in rows(
            db,
            f"""SELECT coalesce(d.team_name, '(no team)'), count(*), median(f.time_to_resolve_seconds)
                FROM ({filtered()}) f LEFT JOIN marts.fct_incident_teams t USING (incident_id)
                LEFT JOIN marts.dim_teams d ON d.team_id = t.team_id GROUP BY 1""",
        )
    }
    shown = frame_with(at, "team_name", "incident_count", "mttr_median").set_index("team_name")
    assert set(shown.index) == set(per_team) and len(per_team) >= 4
    for name, (count, median) in per_team.items():
        assert shown.loc[name, "incident_count"] == count
        assert shown.loc[name, "mttr_median"] == format_duration(median)
    without = scalar(db, f"SELECT count(*) FROM ({filtered(extra=team_extra(NO_TEAM))})")
    assert metric(at, "Incidents without a team") == str(without)

    hours = frame_with(at, "team_name", "workload_hours")
    assert hours["workload_hours"].sum() * 60 == pytest.approx(
        scalar(
            db,
            "SELECT sum(workload_minutes) FROM marts.metrics_team_workload "
            "WHERE week + 6 >= ?::DATE AND week <= ?::DATE",
            [DEFAULT_START, LAST_DAY],
        )
    )

    through = frame_with(at, "team_name", "postmortem_count").set_index("team_name")
    expected = rows(
        db,
        f"""SELECT d.team_name, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM marts.fct_postmortems p
                   WHERE p.incident_id = f.incident_id)),
                   (SELECT count(*) FROM marts.fct_follow_ups u JOIN marts.fct_incident_teams t2
                    USING (incident_id) JOIN ({filtered()}) f2 USING (incident_id)
                    WHERE t2.team_id = d.team_id AND f2.resolved_at IS NOT NULL AND u.status = 'completed')
            FROM ({filtered()}) f JOIN marts.fct_incident_teams t USING (incident_id)
            JOIN marts.dim_teams d ON d.team_id = t.team_id
            WHERE f.resolved_at IS NOT NULL GROUP BY d.team_id, d.team_name""",
    )
    for name, with_postmortem, completed_follow_ups in expected:
        assert through.loc[name, "postmortem_count"] == with_postmortem
        assert through.loc[name, "follow_up_completed_count"] == completed_follow_ups

    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    assert not at.exception
    shown = frame_with(at, "team_name", "incident_count", "mttr_median")
    assert list(shown["team_name"]) == ["Payments"]
    assert shown["incident_count"].iloc[0] == per_team["Payments"][0]
    assert set(frame_with(at, "team_name", "workload_hours")["team_name"]) == {"Payments"}


# ---------------------------------------------------------------------------- Post-incident page
def test_post_incident_numbers_equal_the_marts(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("Post-incident")
    resolved, with_doc = rows(
        db,
        f"""SELECT count(*), count(*) FILTER (WHERE incident_id IN (SELECT incident_id FROM
            marts.fct_postmortems)) FROM ({filtered()}) WHERE resolved_at IS NOT NULL""",
    )[0]
    assert resolved > 20 and with_doc > 0
    assert metric(at, "Resolved incidents") == str(resolved)
    assert metric(at, "With a post-mortem") == f"{100 * with_doc / resolved:.0f}%"
    table = frame_with(at, "severity", "median_days_to_follow_up_completed")
    assert len(table) == scalar(
        db, "SELECT count(*) FROM marts.metrics_post_incident WHERE month >= DATE '2025-04-01'"
    )

    # Over the whole snapshot the page counts the same incidents as the mart: the counts agree.
    at.date_input(key=KEY_DATES).set_value((date(2025, 1, 1), LAST_DAY)).run()
    assert not at.exception
    page = frame_with(at, "severity", "postmortem_rate").set_index(["month", "severity"])
    mart = rows(
        db,
        "SELECT month, coalesce(severity_name, '(no severity)'), resolved_count, postmortem_count, "
        "postmortem_completed_count, follow_up_count, follow_up_completed_count "
        "FROM marts.metrics_post_incident WHERE month <= DATE '2025-06-30'",
    )
    assert len(mart) > 10
    for month, severity, *counts in mart:
        got = page.loc[(pd.Timestamp(month), severity)]
        assert [
            got["resolved_count"],
            got["postmortem_count"],
            got["postmortem_completed_count"],
            got["follow_up_count"],
            got["follow_up_completed_count"],
        ] == counts, (month, severity)


# ---------------------------------------------------------------------------------- On-call page
def test_oncall_numbers_equal_the_marts_and_follow_team_and_person(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("On-call")

    def hours(extra: str = "") -> float:
        return float(
            scalar(
                db,
                "SELECT coalesce(sum(oncall_hours), 0) FROM marts.metrics_oncall_burden "
                f"WHERE week + 6 >= ?::DATE AND week <= ?::DATE {extra}",
                [DEFAULT_START, LAST_DAY],
            )
        )

    def pages(extra: str = "") -> tuple[int, int, int]:
        return rows(
            db,
            "SELECT count(*), count(*) FILTER (WHERE is_sleep_hour), count(*) FILTER (WHERE NOT "
            "during_oncall_shift) FROM marts.fct_pages WHERE notified_at >= ?::DATE "
            f"AND notified_at < ?::DATE + 1 {extra}",
            [DEFAULT_START, LAST_DAY],
        )[0]

    assert hours() > 100
    assert metric(at, "On-call hours") == f"{hours():,.0f}"
    people = scalar(
        db,
        "SELECT count(DISTINCT person_email) FROM marts.metrics_oncall_burden "
        "WHERE week + 6 >= ?::DATE AND week <= ?::DATE",
        [DEFAULT_START, LAST_DAY],
    )
    assert f"{people:,} of {people:,} people shown have a time zone" in " ".join(c.value for c in at.caption)
    total, sleep, outside = pages()
    assert total > 20 and 0 < outside < total
    assert metric(at, "Pages") == str(total)
    assert metric(at, "Sleep-hour pages") == str(sleep)
    assert metric(at, "Pages outside any shift") == str(outside)

    by_source = frame_with(at, "source", "mtta_median").set_index("source")
    for source, count, median in rows(
        db,
        "SELECT source, count(*), median(epoch(acknowledged_at - notified_at)) FROM marts.fct_pages "
        "WHERE notified_at >= ?::DATE AND notified_at < ?::DATE + 1 GROUP BY source",
        [DEFAULT_START, LAST_DAY],
    ):
        assert by_source.loc[source, "page_count"] == count
        assert by_source.loc[source, "mtta_median"] == format_duration(median)

    declare = frame_with(at, "severity", "alerted_count")
    alerted = scalar(db, f"SELECT count(first_alert_at) FROM ({filtered()})")
    assert declare["alerted_count"].sum() == alerted > 0
    assert any(f"{alerted:,} of" in c.value for c in at.caption)
    assert "Download the on-call hours report (CSV)" in [b.proto.label for b in at.get("download_button")]

    members = (
        f"AND person_email IN (SELECT person_email FROM marts.dim_team_members WHERE team_id = '{PAYMENTS}')"
    )
    at.selectbox(key=KEY_TEAM).set_value(PAYMENTS).run()
    assert not at.exception
    assert 0 < hours(members) < hours()
    assert metric(at, "On-call hours") == f"{hours(members):,.0f}"
    assert metric(at, "Pages") == str(pages(members)[0])
    assert list(frame_with(at, "team_name", "gini_oncall_hours")["team_name"]) == ["Payments"]

    person = at.multiselect(key="oncall_people").options[0]
    email = person.rsplit("(", 1)[-1].rstrip(")") if "(" in person else person
    at.multiselect(key="oncall_people").set_value([email]).run()
    assert not at.exception
    assert metric(at, "On-call hours") == f"{hours(f'AND person_email = {chr(39)}{email}{chr(39)}'):,.0f}"


def brute_force_gini(values: list[float]) -> float:
    """Mean absolute difference over all ordered pairs ÷ (2 × mean), written out."""
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (n * n) / (2 * mean)


def test_oncall_fairness_is_the_gini_of_the_team_members_on_the_rota(app_on_sample: Path) -> None:
    db = app_on_sample
    at = open_page("On-call")
    fairness = frame_with(at, "team_name", "gini_oncall_hours").set_index("team_name")
    for team_id, name in rows(db, "SELECT team_id, team_name FROM marts.dim_teams"):
        load = rows(
            db,
            """SELECT m.person_email, coalesce(sum(b.oncall_hours), 0), coalesce(sum(b.page_count), 0)
               FROM marts.dim_team_members m LEFT JOIN marts.metrics_oncall_burden b
                 ON b.person_email = m.person_email AND b.week + 6 >= ?::DATE AND b.week <= ?::DATE
               WHERE m.team_id = ? GROUP BY 1""",
            [DEFAULT_START, LAST_DAY, team_id],
        )
        rota = [h for _, h, p in load if h > 0 or p > 0]
        if not rota:
            assert name not in fairness.index
            continue
        assert fairness.loc[name, "rota_size"] == len(rota)
        assert fairness.loc[name, "gini_oncall_hours"] == pytest.approx(brute_force_gini(rota))
        assert fairness.loc[name, "equal_share"] == pytest.approx(1 / len(rota))


def test_oncall_hours_report_has_one_row_per_person_and_iso_week(app_on_sample: Path) -> None:
    from dashboards.filters import Filters
    from dashboards.queries.oncall import REPORT_COLUMNS, burden, hours_report
    from dashboards.snapshot import Snapshot

    db = app_on_sample
    report = hours_report(burden(Snapshot(str(db), 0), Filters(DEFAULT_START, LAST_DAY), (), True))
    assert list(report.columns) == list(REPORT_COLUMNS)
    expected = rows(
        db,
        "SELECT person_email, strftime(week, '%G-W%V'), oncall_hours, business_hours, off_hours, sleep_hours "
        "FROM marts.metrics_oncall_burden WHERE oncall_hours > 0 AND week + 6 >= ?::DATE AND week <= ?::DATE "
        "ORDER BY person_email, week",
        [DEFAULT_START, LAST_DAY],
    )
    got = report[["person_email", "iso_week", "oncall_hours", "business_hours", "off_hours", "sleep_hours"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == expected
    bands = report["business_hours"] + report["off_hours"] + report["sleep_hours"]
    assert (bands == report["oncall_hours"]).all()


# ------------------------------------------------------------- a snapshot from before the new marts
@pytest.fixture
def app_on_old_snapshot(tmp_path: Path, use_published, definitions) -> Path:
    """Every mart of the first wave, none of the teams / post-incident / on-call wave, and no alert
    columns on fct_incidents: a warehouse published before they existed."""
    db = build_published_db(
        tmp_path / "old.duckdb", sample_incidents(n=200, seed=5), marts=OLD_MARTS, definitions=definitions
    )
    con = duckdb.connect(str(db))
    for column in ALERT_COLUMNS:
        con.execute(f"ALTER TABLE marts.fct_incidents DROP COLUMN {column}")
    con.close()
    use_published(db)
    return db


@pytest.mark.parametrize("title", list(PAGES))
def test_pages_on_a_snapshot_from_before_the_team_and_oncall_marts(
    app_on_old_snapshot: Path, title: str
) -> None:
    at = open_page(title)
    assert not at.error
    team = at.selectbox(key=KEY_TEAM)
    assert team.disabled and "rebuild" in team.help
    assert at.selectbox(key=KEY_FIELD).disabled
    notes = " ".join(i.value for i in at.info)
    if title in ("Teams", "Post-incident", "On-call"):
        assert "rebuilt and published" in notes
        assert "marts.fct_incidents.first_alert_at" in notes or title != "On-call"
    elif title == "Data health":  # only the list of refused entities is new there
        assert notes.count("rebuilt and published") == 1 and "marts.fct_skipped_entities" in notes
    else:
        assert not notes  # the first-wave pages lose nothing


def test_pages_fed_by_a_refused_entity_say_their_numbers_are_unknown(app_on_sample: Path) -> None:
    # The sample snapshot's last sync was refused incident.io schedules (marts.fct_skipped_entities).
    oncall = open_page("On-call")
    (warning,) = [w.value for w in oncall.warning if "could not read" in w.value]
    assert "incidentio schedules (HTTP 404" in warning and "unknown, not none" in warning
    post_incident = open_page("Post-incident")
    assert not [w.value for w in post_incident.warning if "could not read" in w.value]
