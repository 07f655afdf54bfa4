"""Pure helpers of the dashboard: duration formatting, filter periods, the serve command."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from dashboards.filters import Filters
from dashboards.formatting import format_duration, format_duration_delta
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
