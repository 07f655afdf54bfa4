"""Pure helpers of the dashboard: duration formatting, filter periods, the serve command."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from dashboards.filters import Filters
from dashboards.formatting import format_age, format_duration, format_duration_delta
from dashboards.run import APP_PATH, streamlit_command


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(None, "—", id="missing"),
        pytest.param(float("nan"), "—", id="nan"),
        pytest.param(0, "0 s", id="zero"),
        pytest.param(45.4, "45 s", id="seconds"),
        pytest.param(59.6, "1 min", id="rounds up to a minute"),
        pytest.param(12 * 60 + 20, "12 min", id="minutes"),
        pytest.param(3599, "1 h", id="rounds up to an hour"),
        pytest.param(2 * 3600 + 14 * 60 + 10, "2 h 14 min", id="hours and minutes"),
        pytest.param(3 * 86400 + 4 * 3600 + 50, "3 d 4 h", id="days and hours"),
        pytest.param(-(15 * 60), "-15 min", id="negative"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(None, "—", id="missing"),
        pytest.param(-5, "0 s", id="clock skew is not a negative age"),
        pytest.param(42, "42 s", id="seconds"),
        pytest.param(25 * 60 + 40, "26 min", id="minutes"),
        pytest.param(6 * 3600 + 59 * 60, "7 h", id="one unit only"),
        pytest.param(3 * 86400 + 13 * 3600, "4 d", id="days"),
    ],
)
def test_format_age_uses_one_unit(seconds: float | None, text: str) -> None:
    assert format_age(seconds) == text


def test_format_duration_delta_is_signed_and_neutral_at_zero() -> None:
    assert format_duration_delta(3600, 3000) == "+10 min"
    assert format_duration_delta(3000, 3600) == "-10 min"
    assert format_duration_delta(3000, 3000.2) == "0"
    assert format_duration_delta(None, 3000) is None
    assert format_duration_delta(3000, None) is None


def test_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    filters = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31), severities=("Major",))
    previous = filters.previous_period()
    assert (previous.start, previous.end) == (date(2025, 1, 29), date(2025, 2, 28))
    assert previous.days == filters.days == 31
    assert previous.severities == ("Major",)


def test_streamlit_command_binds_loopback_on_the_given_port_headless() -> None:
    command = streamlit_command(8765)
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert command[4] == str(APP_PATH) and APP_PATH.is_file()
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--server.port"] == "8765"
    assert flags["--server.headless"] == "true"
    assert (APP_PATH.parent / ".streamlit" / "config.toml").is_file()


def test_incident_links_use_the_permalink_else_the_incident_id() -> None:
    from dashboards.queries.explorer import incident_links

    row = {
        "incident_id": "01ABC",
        "permalink": None,
        "slack_channel_id": "C123",
        "zoom_meeting_id": "8123456789",
        "pagerduty_incident_id": "PXYZ",
    }
    assert incident_links(row) == {
        "incidentio_url": "https://app.incident.io/incidents/01ABC",
        "slack_url": "https://slack.com/app_redirect?channel=C123",
        "zoom_url": "https://zoom.us/j/8123456789",
        "pagerduty_url": "https://app.pagerduty.com/incidents/PXYZ",
    }
    permalinked = incident_links({**row, "permalink": "https://app.incident.io/acme/incidents/7"})
    assert permalinked["incidentio_url"] == "https://app.incident.io/acme/incidents/7"
    bare = incident_links({"incident_id": "01A B", "slack_channel_id": float("nan"), "zoom_meeting_id": ""})
    assert bare == {
        "incidentio_url": "https://app.incident.io/incidents/01A%20B",  # ids are escaped, never spliced
        "slack_url": None,
        "zoom_url": None,
        "pagerduty_url": None,
    }


@pytest.mark.parametrize(
    ("weekday", "hour", "sleep", "out_of_hours"),
    [
        pytest.param(1, 10, False, False, id="Monday morning"),
        pytest.param(3, 19, False, True, id="weekday evening"),
        pytest.param(3, 23, True, True, id="night"),
        pytest.param(5, 7, True, True, id="early morning"),
        pytest.param(6, 12, False, True, id="Saturday noon"),
    ],
)
def test_sleep_and_out_of_hours_bands(weekday: int, hour: int, sleep: bool, out_of_hours: bool) -> None:
    from dashboards.queries.people import is_out_of_hours, is_sleep_hour

    assert is_sleep_hour(hour) is sleep
    assert is_out_of_hours(weekday, hour) is out_of_hours


def test_the_fixture_ranks_are_the_exact_binomial_ranks() -> None:
    """The test snapshots' dim_median_confidence_ranks (standing in for dbt's, exact up to n = 2000):
    the largest l with P(B <= l - 1) <= 2.5%, B ~ binomial(n, 1/2), checked here with math.comb."""
    from math import comb

    from dashboards_support import exact_median_ranks

    ranks = {n: (low, high) for n, low, high in exact_median_ranks(200)}
    assert ranks[5] == (None, None) and ranks[6] == (1, 6) and ranks[9] == (2, 8)
    for n in range(6, 201):
        lower = max(k for k in range(1, n // 2 + 1) if 40 * sum(comb(n, i) for i in range(k)) <= 2**n)
        assert ranks[n] == (lower, n + 1 - lower), n


def test_definition_text_is_the_dashboard_sentence_then_the_dbt_docs() -> None:
    from dashboards.definitions import MISSING_DOC, Definition
    from dashboards.snapshot import ColumnDoc

    definition = Definition(
        "Median of the filtered incidents.", ("fct_incidents.time_to_resolve_seconds", "x.y")
    )
    text = definition.text({"fct_incidents.time_to_resolve_seconds": ColumnDoc("resolved − reported.", None)})
    assert text.split("\n\n") == [
        "Median of the filtered incidents.",
        "`fct_incidents.time_to_resolve_seconds`: resolved − reported.",
        f"`x.y`: {MISSING_DOC}",
    ]


def test_every_ledger_source_is_a_documented_mart_or_column(definitions) -> None:
    """Each definition points at marts and columns the dbt project documents (else its help would say
    the description is missing), except the columns asked of the dbt project and not there yet."""
    from dashboards.definitions import LEDGER

    documented = {
        d.model_name if d.column_name is None else f"{d.model_name}.{d.column_name}" for d in definitions
    }
    described = {
        (d.model_name if d.column_name is None else f"{d.model_name}.{d.column_name}")
        for d in definitions
        if d.description
    }
    sources = {source for definition in LEDGER.values() for source in definition.sources}
    pending = {"fct_incidents.is_status_in_metrics"}
    assert sources - documented - pending == set()
    assert (sources & documented) - described == set(), "documented but without a description"


def test_open_follow_ups_per_owner_counts_age_bands() -> None:
    import pandas as pd

    from dashboards.queries.follow_ups import AGE_BUCKETS, open_by_owner

    rows = pd.DataFrame(
        {
            "follow_up_id": ["a", "b", "c"],
            "owner": ["ann", "ann", "bob"],
            "age_bucket": [AGE_BUCKETS[0], AGE_BUCKETS[3], AGE_BUCKETS[0]],
            "age_seconds": [100.0, 9e6, 50.0],
        }
    )
    owners = open_by_owner(rows).set_index("owner")
    assert list(owners.index) == ["ann", "bob"]
    assert owners.loc["ann", "open_count"] == 2 and owners.loc["ann", AGE_BUCKETS[3]] == 1
    assert owners.loc["bob", "oldest_age_seconds"] == 50.0
    assert open_by_owner(rows.iloc[0:0]).empty


def test_the_export_exposures_name_every_mart(dbt_manifest, definitions) -> None:
    import json

    marts = {d.model_name for d in definitions}
    exposures = json.loads(dbt_manifest.read_text())["exposures"]
    for name in ("export_files", "export_postgres"):
        nodes = exposures[f"exposure.incident_lake.{name}"]["depends_on"]["nodes"]
        assert {node.rsplit(".", 1)[-1] for node in nodes} == marts, name


def test_pages_by_weekday_is_a_full_weekday_by_hour_grid() -> None:
    import pandas as pd

    from dashboards.queries.people import pages_by_weekday

    heat = pd.DataFrame({"weekday": [1, 7, 7], "hour": [0, 23, 23], "page_count": [2, 1, 4]})
    grid = pages_by_weekday(heat)
    assert list(grid["weekday"]) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(grid.columns[1:]) == [f"{h:02d}h" for h in range(24)]
    assert grid.loc[0, "00h"] == 2 and grid.loc[6, "23h"] == 5
    assert int(grid.iloc[:, 1:].to_numpy().sum()) == 7


def test_time_to_lead_by_severity_orders_most_severe_first() -> None:
    import pandas as pd

    from dashboards.queries.people import time_to_lead_by_severity
    from dashboards.snapshot import NO_SEVERITY

    rows = pd.DataFrame(
        {
            "incident_id": ["a", "b", "c", "d"],
            "severity_name": ["Minor", "Critical", None, "Critical"],
            "severity_rank": [0, 2, None, 2],
            "seconds_to_lead": [10.0, 100.0, 5.0, 300.0],
        }
    )
    table = time_to_lead_by_severity(rows)
    assert list(table["severity_name"]) == ["Critical", "Minor", NO_SEVERITY]
    critical = table.iloc[0]
    assert critical["incident_count"] == 2 and critical["median_seconds"] == 200.0
    assert critical["p90_seconds"] == pytest.approx(280.0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([5, 5, 5, 5], 0.0, id="even"),
        pytest.param([0, 0, 0, 12], 0.75, id="one carries all of four"),
        pytest.param([1, 3], 0.25, id="two"),
        pytest.param([7], 0.0, id="one member"),
        pytest.param([], None, id="no member"),
        pytest.param([0, 0], None, id="nothing to share"),
    ],
)
def test_gini_coefficient(values: list[float], expected: float | None) -> None:
    from dashboards.queries.oncall import gini

    result = gini(values)
    assert result == (None if expected is None else pytest.approx(expected))


def test_gini_equals_the_pairwise_definition_and_rejects_negatives() -> None:
    import random

    from dashboards.queries.oncall import gini

    rng = random.Random(3)
    for _ in range(50):
        values = [rng.choice([0, rng.uniform(0, 200)]) for _ in range(rng.randint(1, 12))]
        if not sum(values):
            continue
        n, mean = len(values), sum(values) / len(values)
        pairwise = sum(abs(a - b) for a in values for b in values) / (n * n) / (2 * mean)
        assert gini(values) == pytest.approx(pairwise)
    with pytest.raises(ValueError, match="non-negative"):
        gini([1, -1])


def test_team_and_field_clauses_appear_only_while_active() -> None:
    from dashboards.filters import NO_TEAM

    plain = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert "fct_incident_teams" not in plain.incidents_cte()
    assert "fct_incident_field_values" not in plain.incidents_cte()
    assert plain.people_clause("p") == plain.pagerduty_clause("i") == plain.team_row_clause("t") == "true"

    team = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31), team="01TEAM")
    assert "fct_incident_teams WHERE team_id = $team_id" in team.incidents_cte()
    assert team.params()["team_id"] == "01TEAM"
    assert "dim_team_members WHERE team_id = $team_id" in team.people_clause("p")
    assert team.team_row_clause("t") == "t = $team_id"

    none = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31), team=NO_TEAM)
    assert "NOT IN" in none.incidents_cte() and none.params()["team_id"] is None
    assert none.team_row_clause("t") == "t IS NULL"
    assert none.pagerduty_clause("i").startswith("(i IS NULL OR")

    # A field without values is no filter; with values, the user's values stay bound parameters.
    picked = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31), field_id="01CF")
    assert not picked.field_active and "fct_incident_field_values" not in picked.incidents_cte()
    hostile = Filters(date(2025, 3, 1), date(2025, 3, 31), field_id="01CF", field_values=("x' OR 1=1",))
    assert "x' OR" not in hostile.incidents_cte()
    assert hostile.params()["field_values"] == ["x' OR 1=1"]
