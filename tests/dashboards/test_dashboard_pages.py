"""Every page beyond the Overview under AppTest: no exception, key numbers equal to a direct query on the
marts (written here independently of `dashboards.queries`), filters moving them as expected, and graceful
notes when an optional mart is missing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dashboards_support import APP_PATH, LAST_DAY, build_published_db, sample_incidents
from streamlit.testing.v1 import AppTest

from dashboards.filters import KEY_DATES, KEY_SEVERITIES
from dashboards.formatting import format_duration

DEFAULT_START = LAST_DAY - timedelta(days=89)
PAGES = {
    "Severity": "app_pages/severity.py",
    "Incident explorer": "app_pages/explorer.py",
    "People and roles": "app_pages/people.py",
    "Follow-ups": "app_pages/follow_ups.py",
    "Data health": "app_pages/data_health.py",
}
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
}


@pytest.mark.parametrize("title", list(EXPOSURES))
def test_each_page_reads_exactly_the_marts_its_dbt_exposure_names(
    app_on_sample: Path, dbt_manifest: Path, monkeypatch: pytest.MonkeyPatch, title: str
) -> None:
    """The queries a page really runs (recorded while it renders) against the exposure's depends_on."""
    import json
    import re

    import dashboards.sql

    seen: list[str] = []
    run = dashboards.sql._connect_and_run

    def recording(path: str, sql: str, params: dict[str, Any]):
        seen.append(sql)
        return run(path, sql, params)

    monkeypatch.setattr(dashboards.sql, "_connect_and_run", recording)
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.run()
    if title != "Overview":
        seen.clear()  # the Overview runs first whatever the page: count only the page asked for
        at.switch_page(PAGES[title]).run()
    assert not at.exception
    read = set()
    for sql in seen:
        read |= {m for m in re.findall(r"\bmarts\.(\w+)", sql) if not m.startswith("_")}
    exposure = json.loads(dbt_manifest.read_text())["exposures"][f"exposure.incident_lake.{EXPOSURES[title]}"]
    named = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    assert read == named
