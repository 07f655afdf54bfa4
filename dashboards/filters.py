"""The global sidebar filters, drawn by the entrypoint and read by every page from session state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import streamlit as st

from dashboards import definitions
from dashboards.snapshot import ColumnDoc, SnapshotInfo
from dashboards.sql import can_include_non_standard, filter_params

KEY_DATES = "filter_dates"
KEY_SEVERITIES = "filter_severities"
KEY_INCIDENT_TYPES = "filter_incident_types"
KEY_INCLUDE_NON_STANDARD = "filter_include_non_standard"
STATE_KEY = "filters"
DEFAULT_PERIOD_DAYS = 90


@dataclass(frozen=True)
class Filters:
    start: date  # first and last UTC day of reported_at, inclusive
    end: date
    severities: tuple[str, ...] = ()  # empty means every severity
    include_non_standard: bool = False  # add retrospective, test and tutorial incidents
    incident_types: tuple[str, ...] = ()  # empty means every incident type

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous_period(self) -> Filters:
        """The period of equal length right before this one (for deltas)."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def params(self) -> dict[str, Any]:
        """The bound parameters of `sql.FILTERED_INCIDENTS` for these filters."""
        return filter_params(
            self.start, self.end, self.severities, self.include_non_standard, self.incident_types
        )

    def describe(self) -> str:
        """One line saying what the page shows, for the caption under its title."""
        severity_text = ", ".join(self.severities) if self.severities else "all severities"
        type_text = ", ".join(self.incident_types) if self.incident_types else "all types"
        return (
            f"Incidents reported {self.start:%d %b %Y} – {self.end:%d %b %Y} (UTC, {self.days} days), "
            f"{severity_text}, {type_text}"
            + (", including retrospective, test and tutorial incidents" if self.include_non_standard else "")
            + "."
        )


def default_period(info: SnapshotInfo) -> tuple[date, date]:
    """The last 90 days of data (anchored on the latest incident, so a stale snapshot still shows numbers)."""
    assert info.first_day is not None and info.last_day is not None
    end = info.last_day
    return max(info.first_day, end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)), end


def render_sidebar_filters(info: SnapshotInfo, docs: Mapping[str, ColumnDoc]) -> Filters:
    """Draw the filters in the sidebar, store the result in session state and return it (`docs`: the
    snapshot's dbt docs, for the help texts)."""
    assert info.first_day is not None and info.last_day is not None
    lowest, highest = info.first_day, max(info.last_day, date.today())
    state = st.session_state

    # Seed (or repair after a new publish) the widget state instead of passing `value=`, which Streamlit
    # would flag as a conflict with session state.
    dates = state.get(KEY_DATES)
    if not dates or any(not lowest <= d <= highest for d in dates):
        state[KEY_DATES] = default_period(info)
    state[KEY_SEVERITIES] = [s for s in state.get(KEY_SEVERITIES, []) if s in info.severities]
    state[KEY_INCIDENT_TYPES] = [t for t in state.get(KEY_INCIDENT_TYPES, []) if t in info.incident_types]
    state.setdefault(KEY_INCLUDE_NON_STANDARD, False)
    # The toggle needs the mart to say which incidents it may add back; older snapshots do not.
    toggle_usable = can_include_non_standard(info)
    if not toggle_usable:
        state[KEY_INCLUDE_NON_STANDARD] = False

    with st.sidebar:
        st.header("Filters")
        picked = st.date_input(
            "Reported between (UTC)",
            min_value=lowest,
            max_value=highest,
            key=KEY_DATES,
            help=definitions.REPORTED_AT.text(docs),
        )
        st.multiselect(
            "Severity",
            options=list(info.severities),
            key=KEY_SEVERITIES,
            placeholder="All severities",
            help="Leave empty for every severity.",
        )
        st.multiselect(
            "Incident type",
            options=list(info.incident_types),
            key=KEY_INCIDENT_TYPES,
            placeholder="All types",
            help="Leave empty for every incident type.",
        )
        st.toggle(
            "Include retrospective, test and tutorial incidents",
            key=KEY_INCLUDE_NON_STANDARD,
            disabled=not toggle_usable,
            help=definitions.IN_METRICS.text(docs)
            + (
                ""
                if toggle_usable
                else "\n\nThis snapshot lacks `fct_incidents.is_status_in_metrics`: rebuild it."
            ),
        )
        published = f"{info.published_at:%Y-%m-%d %H:%M} UTC" if info.published_at else "unknown"
        st.caption(f"Data published {published} · {info.incident_count:,} incidents in the snapshot.")

    # While a range is being picked the widget holds a single date: treat it as a one-day period.
    picked_dates = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    start = picked_dates[0] if picked_dates else default_period(info)[0]
    end = picked_dates[1] if len(picked_dates) > 1 else start
    filters = Filters(
        start=start,
        end=end,
        severities=tuple(state[KEY_SEVERITIES]),
        include_non_standard=bool(state[KEY_INCLUDE_NON_STANDARD]),
        incident_types=tuple(state[KEY_INCIDENT_TYPES]),
    )
    state[STATE_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters the entrypoint stored for this run (pages call this, never the widgets)."""
    return st.session_state[STATE_KEY]
