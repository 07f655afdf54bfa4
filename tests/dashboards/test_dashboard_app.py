"""The Streamlit app under AppTest, on a hand-made published snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dashboards_support import APP_PATH, LAST_DAY, build_published_db, sample_incidents
from streamlit.testing.v1 import AppTest

from dashboards.filters import (
    KEY_DATES,
    KEY_FIELD,
    KEY_FIELD_VALUES,
    KEY_INCIDENT_TYPES,
    KEY_INCLUDE_NON_STANDARD,
    KEY_SEVERITIES,
    KEY_TEAM,
    NO_TEAM,
    Filters,
)
from dashboards.formatting import format_duration
from dashboards.queries.overview import headline
from dashboards.snapshot import NO_SEVERITY, Snapshot, current_snapshot, snapshot_info

DEFAULT_START = LAST_DAY - timedelta(days=89)


def headline_of(db: Path, filters: Filters) -> dict[str, Any]:
    """The Overview's headline query on snapshot `db` (version 0: the test controls the cache)."""
    return headline(Snapshot(str(db), 0), snapshot_info(str(db), 0), filters)


def run_app() -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def direct_headline(
    db: Path,
    start: date,
    end: date,
    severities: tuple[str | None, ...] = (),
    include_non_standard: bool = False,
    extra: str = "",
) -> dict[str, Any]:
    """The headline numbers straight from marts.fct_incidents, written independently of dashboards.data
    (`extra`: one more SQL condition)."""
    where = ["reported_at >= ?::DATE", "reported_at < ?::DATE + 1", *([extra] if extra else [])]
    params: list[Any] = [start, end]
    if include_non_standard:
        where.append(
            "(is_in_metrics OR (mode != 'standard' AND status_category NOT IN "
            "('declined', 'merged', 'canceled', 'triage')))"
        )
    else:
        where.append("is_in_metrics")
    if severities:
        named = [s for s in severities if s is not None]
        where.append("(severity_name IN (SELECT unnest(?::VARCHAR[])) OR (? AND severity_name IS NULL))")
        params += [named, None in severities]
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(
            "SELECT count(*), avg(time_to_resolve_seconds), median(time_to_resolve_seconds), "
            "quantile_cont(time_to_resolve_seconds, 0.9) FROM marts.fct_incidents WHERE "
            + " AND ".join(where),
            params,
        ).fetchall()[0]
    finally:
        con.close()
    return {"count": row[0], "mean": row[1], "median": row[2], "p90": row[3]}


def metrics_by_label(at: AppTest) -> dict[str, Any]:
    return {m.label: m for m in at.metric}


def assert_headline(at: AppTest, expected: dict[str, Any]) -> None:
    metrics = metrics_by_label(at)
    assert metrics["Incidents"].value == str(expected["count"])
    assert metrics["MTTR median"].value == format_duration(expected["median"])
    assert metrics["MTTR mean"].value == format_duration(expected["mean"])
    assert metrics["MTTR p90"].value == format_duration(expected["p90"])


def test_overview_renders_metrics_charts_and_table(app_on_sample: Path) -> None:
    at = run_app()
    assert [t.value for t in at.title] == ["Overview"]
    assert set(metrics_by_label(at)) == {
        "Incidents",
        "MTTR median",
        "MTTR mean",
        "MTTR p90",
        "Pages",
        "MTTA median",
        "MTTA mean",
        "MTTA p90",
    }
    assert all(m.help for m in at.metric), "every number carries its definition"
    assert "resolved_at − reported_at" in metrics_by_label(at)["MTTR median"].help
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    specs = " ".join(c.proto.spec for c in charts)
    assert "Incidents per month by severity" in specs and "Median time to resolve (hours)" in specs
    assert len(at.dataframe) == 1
    assert len(at.get("download_button")) == 1
    assert not at.error


def test_headline_numbers_equal_a_direct_query_on_the_marts(app_on_sample: Path) -> None:
    at = run_app()
    expected = direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)
    assert expected["count"] > 20  # the sample really exercises the default period
    assert_headline(at, expected)

    # The unformatted numbers too, so rounding in the display cannot hide a wrong query.
    raw = headline_of(app_on_sample, Filters(DEFAULT_START, LAST_DAY))
    assert raw["incident_count"] == expected["count"]
    assert raw["mttr_mean_seconds"] == pytest.approx(expected["mean"])
    assert raw["mttr_median_seconds"] == pytest.approx(expected["median"])
    assert raw["mttr_p90_seconds"] == pytest.approx(expected["p90"])


def test_deltas_compare_with_the_previous_period_of_equal_length(app_on_sample: Path) -> None:
    at = run_app()
    current = direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)
    previous = direct_headline(
        app_on_sample, DEFAULT_START - timedelta(days=90), DEFAULT_START - timedelta(days=1)
    )
    incidents = metrics_by_label(at)["Incidents"]
    assert int(incidents.delta) == current["count"] - previous["count"]
    assert metrics_by_label(at)["MTTR median"].delta not in ("", None)


def test_severity_filter_narrows_the_headline(app_on_sample: Path) -> None:
    at = run_app()
    at.multiselect(key=KEY_SEVERITIES).set_value(["Critical", NO_SEVERITY]).run()
    assert not at.exception
    expected = direct_headline(app_on_sample, DEFAULT_START, LAST_DAY, severities=("Critical", None))
    assert 0 < expected["count"] < direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)["count"]
    assert_headline(at, expected)


def test_toggle_adds_retrospective_test_and_tutorial_incidents(app_on_sample: Path) -> None:
    at = run_app()
    before = int(metrics_by_label(at)["Incidents"].value)
    at.toggle(key=KEY_INCLUDE_NON_STANDARD).set_value(True).run()
    assert not at.exception
    expected = direct_headline(app_on_sample, DEFAULT_START, LAST_DAY, include_non_standard=True)
    assert expected["count"] > before
    assert_headline(at, expected)


def test_date_range_filter_and_no_delta_without_an_earlier_period(app_on_sample: Path) -> None:
    at = run_app()
    start, end = date(2025, 1, 1), date(2025, 2, 15)
    at.date_input(key=KEY_DATES).set_value((start, end)).run()
    assert not at.exception
    assert_headline(at, direct_headline(app_on_sample, start, end))
    # The snapshot starts on 1 January: there is no previous period to compare with.
    assert metrics_by_label(at)["Incidents"].delta in ("", None)


def test_mttr_table_lists_the_metrics_mttr_rows_of_the_period(app_on_sample: Path) -> None:
    at = run_app()
    shown = at.dataframe[0].value
    con = duckdb.connect(str(app_on_sample), read_only=True)
    try:
        (expected_rows,) = con.execute(
            "SELECT count(*) FROM marts.metrics_mttr WHERE month >= DATE '2025-04-01'"
        ).fetchall()[0]
    finally:
        con.close()
    assert len(shown) == expected_rows
    assert list(shown["month"].drop_duplicates()) == sorted(shown["month"].drop_duplicates(), reverse=True)


def test_missing_published_snapshot_shows_the_first_run_page(tmp_path: Path, use_published) -> None:
    use_published(tmp_path / "nothing-here.duckdb")
    at = run_app()
    text = " ".join(m.value for m in at.markdown)
    assert "No data yet" in [s.value for s in at.subheader]
    assert "incident-lake demo" in text and "incident-lake run" in text
    assert "nothing-here.duckdb" in text
    assert not at.metric


@pytest.mark.parametrize(
    ("with_tables", "reason"),
    [
        pytest.param(False, "no `marts.fct_incidents`", id="no marts tables"),
        pytest.param(True, "no incidents", id="no incidents"),
    ],
)
def test_empty_snapshot_shows_the_first_run_page(
    tmp_path: Path, use_published, with_tables: bool, reason: str
) -> None:
    use_published(build_published_db(tmp_path / "empty.duckdb", incidents=None, with_tables=with_tables))
    at = run_app()
    text = " ".join(m.value for m in at.markdown)
    assert reason in text
    assert "incident-lake demo" in text


def test_unusable_snapshot_says_why_on_the_first_run_page(
    tmp_path: Path, incidents: pd.DataFrame, use_published
) -> None:
    lacking = build_published_db(tmp_path / "old.duckdb", incidents)
    con = duckdb.connect(str(lacking))
    con.execute("DROP TABLE marts.metrics_mttr")
    con.close()
    use_published(lacking)
    at = run_app()
    assert "`metrics_mttr.month`" in " ".join(m.value for m in at.markdown)

    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    use_published(garbage)
    at = run_app()
    assert "cannot be opened" in " ".join(m.value for m in at.markdown)


def test_a_new_publish_is_read_without_waiting_for_the_cache(tmp_path: Path, use_published) -> None:
    target = tmp_path / "published.duckdb"
    build_published_db(target, sample_incidents(n=50, seed=1))
    use_published(target)
    first = current_snapshot()
    assert first is not None
    assert snapshot_info(first.path, first.version).incident_count == 50

    # What publish_marts does: build aside, then replace the file.
    build_published_db(tmp_path / "next.duckdb", sample_incidents(n=80, seed=2)).replace(target)
    second = current_snapshot()
    assert second is not None and second.version != first.version
    assert snapshot_info(second.path, second.version).incident_count == 80


def test_user_values_are_bound_as_parameters(published_db: Path) -> None:
    hostile = ("Critical' OR 1=1 --",)
    result = headline_of(
        published_db, Filters(date(2025, 1, 1), LAST_DAY, hostile, include_non_standard=True)
    )
    assert result["incident_count"] == 0


def direct_mtta(db: Path, start: date, end: date) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*), median(seconds_to_first_ack), avg(seconds_to_first_ack), "
            "quantile_cont(seconds_to_first_ack, 0.9) FROM marts.fct_pagerduty_incidents "
            "WHERE created_at >= ?::DATE AND created_at < ?::DATE + 1",
            [start, end],
        ).fetchall()[0]
    finally:
        con.close()
    return {"count": row[0], "median": row[1], "mean": row[2], "p90": row[3]}


def test_mtta_equals_a_direct_query_and_follows_the_date_range(app_on_sample: Path) -> None:
    at = run_app()
    expected = direct_mtta(app_on_sample, DEFAULT_START, LAST_DAY)
    metrics = metrics_by_label(at)
    assert expected["count"] > 20
    assert metrics["Pages"].value == str(expected["count"])
    assert metrics["MTTA median"].value == format_duration(expected["median"])
    assert metrics["MTTA mean"].value == format_duration(expected["mean"])
    assert metrics["MTTA p90"].value == format_duration(expected["p90"])
    assert "seconds_to_first_ack" in metrics["MTTA median"].help

    start, end = date(2025, 3, 1), date(2025, 3, 31)
    at.date_input(key=KEY_DATES).set_value((start, end)).run()
    narrowed = direct_mtta(app_on_sample, start, end)
    assert narrowed["count"] != expected["count"]
    assert metrics_by_label(at)["Pages"].value == str(narrowed["count"])


def reference_median_ci(values: list[float]) -> tuple[float, float]:
    """The distribution-free 95% interval of the median, written out: binomial(n, 1/2) tail <= 2.5%."""
    from math import comb

    n, ordered = len(values), sorted(values)
    lower = max(k for k in range(1, n // 2 + 1) if sum(comb(n, i) for i in range(k)) / 2**n <= 0.025)
    return ordered[lower - 1], ordered[n - lower]


def test_median_confidence_interval_is_shown_under_the_headline(app_on_sample: Path) -> None:
    at = run_app()
    con = duckdb.connect(str(app_on_sample), read_only=True)
    try:
        values = [
            v
            for (v,) in con.execute(
                "SELECT time_to_resolve_seconds FROM marts.fct_incidents WHERE is_in_metrics "
                "AND time_to_resolve_seconds IS NOT NULL "
                "AND reported_at >= ?::DATE AND reported_at < ?::DATE + 1",
                [DEFAULT_START, LAST_DAY],
            ).fetchall()
        ]
    finally:
        con.close()
    low, high = reference_median_ci(values)
    assert low <= sorted(values)[len(values) // 2] <= high
    caption = next(c for c in at.caption if "confidence interval" in c.value)
    assert f"{format_duration(low)} – {format_duration(high)}" in caption.value
    assert f"({len(values)} incidents with a duration)" in caption.value


def test_incident_type_filter_narrows_the_headline(app_on_sample: Path) -> None:
    at = run_app()
    at.multiselect(key=KEY_INCIDENT_TYPES).set_value(["Security"]).run()
    assert not at.exception
    con = duckdb.connect(str(app_on_sample), read_only=True)
    try:
        (count,) = con.execute(
            "SELECT count(*) FROM marts.fct_incidents WHERE is_in_metrics AND incident_type = 'Security' "
            "AND reported_at >= ?::DATE AND reported_at < ?::DATE + 1",
            [DEFAULT_START, LAST_DAY],
        ).fetchall()[0]
    finally:
        con.close()
    assert 0 < count < direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)["count"]
    assert metrics_by_label(at)["Incidents"].value == str(count)


def test_metrics_mttr_table_shows_the_confidence_interval_columns_when_the_mart_has_them(
    app_on_sample: Path,
) -> None:
    at = run_app()
    shown = at.dataframe[0].value
    assert {"mttr_median_ci_lower_hours", "mttr_median_ci_upper_hours"} <= set(shown.columns)


def manifest_description(manifest: Path, model: str, column: str | None = None) -> str:
    """A description straight from dbt's manifest JSON (independent of exports.publish)."""
    import json

    node = json.loads(manifest.read_text())["nodes"][f"model.incident_lake.{model}"]
    return node["description"] if column is None else node["columns"][column]["description"]


def test_definitions_shown_are_the_dbt_descriptions(app_on_sample: Path, dbt_manifest: Path) -> None:
    at = run_app()
    help_text = metrics_by_label(at)["MTTR median"].help
    expected = manifest_description(dbt_manifest, "fct_incidents", "time_to_resolve_seconds")
    assert len(expected) > 40 and expected in help_text
    assert manifest_description(dbt_manifest, "metrics_mttr") in next(
        c.value for c in at.caption if "`metrics_mttr`" in c.value
    )
    mtta = manifest_description(dbt_manifest, "fct_pagerduty_incidents", "seconds_to_first_ack")
    assert mtta in metrics_by_label(at)["MTTA median"].help


def test_a_snapshot_without_definitions_says_so_in_the_help(
    tmp_path: Path, incidents: pd.DataFrame, use_published
) -> None:
    use_published(build_published_db(tmp_path / "no-docs.duckdb", incidents))
    at = run_app()
    assert "no dbt description in this snapshot" in metrics_by_label(at)["MTTR median"].help


def default_period_durations(db: Path) -> list[float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(
            v
            for (v,) in con.execute(
                "SELECT time_to_resolve_seconds FROM marts.fct_incidents WHERE is_in_metrics "
                "AND time_to_resolve_seconds IS NOT NULL "
                "AND reported_at >= ?::DATE AND reported_at < ?::DATE + 1",
                [DEFAULT_START, LAST_DAY],
            ).fetchall()
        )
    finally:
        con.close()


def test_the_median_interval_uses_the_published_dbt_ranks(
    tmp_path: Path, incidents: pd.DataFrame, use_published
) -> None:
    db = build_published_db(tmp_path / "ranks.duckdb", incidents)
    values = default_period_durations(db)
    n = len(values)
    # Whatever ranks the snapshot holds for n are the ones shown: here the widest pair, min and max.
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE marts.dim_median_confidence_ranks SET lower_rank = 1, upper_rank = ? WHERE sample_size = ?",
        [n, n],
    )
    con.close()
    use_published(db)
    caption = next(c for c in run_app().caption if "confidence interval" in c.value)
    assert f"{format_duration(values[0])} – {format_duration(values[-1])}" in caption.value

    use_published(build_published_db(tmp_path / "no-ranks.duckdb", incidents, with_ranks=False))
    caption = next(c for c in run_app().caption if "confidence interval" in c.value)
    assert f"does not list a sample of {n} durations" in caption.value


def test_the_toggle_is_disabled_without_is_status_in_metrics(
    tmp_path: Path, incidents: pd.DataFrame, use_published
) -> None:
    db = build_published_db(tmp_path / "old.duckdb", incidents)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE marts.fct_incidents DROP COLUMN is_status_in_metrics")
    con.close()
    use_published(db)
    at = run_app()
    toggle = at.toggle(key=KEY_INCLUDE_NON_STANDARD)
    assert toggle.disabled and "is_status_in_metrics" in toggle.help
    assert_headline(at, direct_headline(db, DEFAULT_START, LAST_DAY))


TEAM_INCIDENTS = "incident_id IN (SELECT incident_id FROM marts.fct_incident_teams WHERE team_id = '{}')"


def test_team_filter_narrows_the_headline_mtta_and_the_mttr_table(app_on_sample: Path) -> None:
    at = run_app()
    team = at.selectbox(key=KEY_TEAM)
    assert not team.disabled
    assert team.options[:2] == ["All teams", "(no team)"] and "Payments" in team.options
    team.set_value("01TEAMPAYMENTS").run()
    assert not at.exception
    payments = TEAM_INCIDENTS.format("01TEAMPAYMENTS")
    expected = direct_headline(app_on_sample, DEFAULT_START, LAST_DAY, extra=payments)
    assert 0 < expected["count"] < direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)["count"]
    assert_headline(at, expected)

    # Pages of a team: the PagerDuty incidents linked to the team's incidents.
    con = duckdb.connect(str(app_on_sample), read_only=True)
    try:
        pages, table_rows = (
            con.execute(
                "SELECT count(*) FROM marts.fct_pagerduty_incidents WHERE created_at >= ?::DATE "
                "AND created_at < ?::DATE + 1 AND " + TEAM_INCIDENTS.format("01TEAMPAYMENTS"),
                [DEFAULT_START, LAST_DAY],
            ).fetchall()[0][0],
            con.execute(
                "SELECT count(*) FROM marts.metrics_mttr_by_team WHERE team_id = '01TEAMPAYMENTS' "
                "AND month >= DATE '2025-04-01'"
            ).fetchall()[0][0],
        )
    finally:
        con.close()
    assert metrics_by_label(at)["Pages"].value == str(pages)
    shown = at.dataframe[0].value
    assert set(shown["team_name"]) == {"Payments"} and len(shown) == table_rows

    at.selectbox(key=KEY_TEAM).set_value(NO_TEAM).run()
    assert not at.exception
    assert_headline(
        at,
        direct_headline(
            app_on_sample,
            DEFAULT_START,
            LAST_DAY,
            extra="incident_id NOT IN (SELECT incident_id FROM marts.fct_incident_teams)",
        ),
    )


def test_custom_field_filter_narrows_the_headline(app_on_sample: Path) -> None:
    at = run_app()
    at.selectbox(key=KEY_FIELD).set_value("01CFTEAM").run()
    values = at.multiselect(key=KEY_FIELD_VALUES)
    assert "Payments" in values.options
    values.set_value(["Payments", "Identity"]).run()
    assert not at.exception
    expected = direct_headline(
        app_on_sample,
        DEFAULT_START,
        LAST_DAY,
        extra="incident_id IN (SELECT incident_id FROM marts.fct_incident_field_values "
        "WHERE custom_field_id = '01CFTEAM' AND value IN ('Payments', 'Identity'))",
    )
    assert 0 < expected["count"] < direct_headline(app_on_sample, DEFAULT_START, LAST_DAY)["count"]
    assert_headline(at, expected)
    assert any("custom-field filter does not apply" in c.value for c in at.caption)

    # Back to "any field": the values are dropped and the headline is whole again.
    at.selectbox(key=KEY_FIELD).set_value("__any_field__").run()
    assert_headline(at, direct_headline(app_on_sample, DEFAULT_START, LAST_DAY))
