"""The global sidebar filters, drawn by the entrypoint and read by every page from session state, and the
one home of the filter → SQL rule: every page's queries take their incidents, people and PagerDuty
incidents through `Filters.incidents_cte`, `Filters.people_clause` and `Filters.pagerduty_clause`.

Rules (docs/metrics.md):
- incidents: `reported_at` in the period (UTC days), `is_in_metrics` (or `is_status_in_metrics` when
  the toggle is on), the severities and incident types picked;
- a team: the incidents of `fct_incident_teams` for that team; "no team": the incidents with no row
  there; people of a team are its `dim_team_members`, people of no team are in no team at all;
- a custom field: the incidents with at least one of the picked values of that field
  (`fct_incident_field_values.value`); it applies to incidents only, never to people.
Every user value is a bound parameter. The team and field clauses appear in the SQL only while those
filters are active, so a snapshot published before the team marts existed still renders every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

from dashboards import definitions
from dashboards.snapshot import (
    FIELD_VALUES,
    INCIDENT_TEAMS,
    NO_SEVERITY,
    TEAM_MEMBERS,
    TEAMS,
    ColumnDoc,
    SnapshotInfo,
)

KEY_DATES = "filter_dates"
KEY_SEVERITIES = "filter_severities"
KEY_INCIDENT_TYPES = "filter_incident_types"
KEY_INCLUDE_NON_STANDARD = "filter_include_non_standard"
KEY_TEAM = "filter_team"
KEY_FIELD = "filter_field"
KEY_FIELD_VALUES = "filter_field_values"
STATE_KEY = "filters"
DEFAULT_PERIOD_DAYS = 90

# The team selectbox's two choices beyond the teams themselves (team ids never take these forms).
ALL_TEAMS = "__all_teams__"
NO_TEAM = "__no_team__"
NO_TEAM_LABEL = "(no team)"
ANY_FIELD = "__any_field__"

# The incidents the toggle adds back: in metrics but for their mode (retrospective, test, tutorial).
# A column of fct_incidents; on a snapshot built before it existed the toggle is disabled.
STATUS_IN_METRICS = "is_status_in_metrics"

# fct_incidents with `is_status_in_metrics` always present (NULL when the mart lacks it): UNION BY NAME
# fills a column one side lacks with NULL, so one SQL text serves old and new snapshots.
_INCIDENTS = f"""
    (SELECT NULL::BOOLEAN AS {STATUS_IN_METRICS} WHERE false)
    UNION ALL BY NAME
    (SELECT * FROM marts.fct_incidents)
"""

# The period, toggle, severity and type filters over those incidents; every value is a bound parameter.
_INCIDENT_FILTER = f"""
    reported_at >= $start AND reported_at < $end_exclusive
    AND (is_in_metrics OR ($include_non_standard AND coalesce({STATUS_IN_METRICS}, false)))
    AND ($all_severities
         OR list_contains($severities::VARCHAR[], severity_name)
         OR ($no_severity AND severity_name IS NULL))
    AND ($all_types OR list_contains($incident_types::VARCHAR[], incident_type))
"""
_TEAM_INCIDENTS = f"SELECT incident_id FROM marts.{INCIDENT_TEAMS} WHERE team_id = $team_id"
_TEAMED_INCIDENTS = f"SELECT incident_id FROM marts.{INCIDENT_TEAMS} WHERE incident_id IS NOT NULL"
_FIELD_INCIDENTS = f"""
    SELECT incident_id FROM marts.{FIELD_VALUES}
    WHERE custom_field_id = $field_id AND list_contains($field_values::VARCHAR[], value)
"""
_TEAM_PEOPLE = f"SELECT person_email FROM marts.{TEAM_MEMBERS} WHERE team_id = $team_id"
_TEAMED_PEOPLE = f"SELECT person_email FROM marts.{TEAM_MEMBERS} WHERE person_email IS NOT NULL"


@dataclass(frozen=True)
class Filters:
    start: date  # first and last UTC day of reported_at, inclusive
    end: date
    severities: tuple[str, ...] = ()  # empty means every severity
    include_non_standard: bool = False  # add retrospective, test and tutorial incidents
    incident_types: tuple[str, ...] = ()  # empty means every incident type
    team: str | None = None  # None: every team; NO_TEAM: incidents and people of no team; else a team_id
    team_name: str = ""  # the team's display name (for captions)
    field_id: str | None = None  # a custom_field_id; None (or no values) means no field filter
    field_name: str = ""
    field_values: tuple[str, ...] = ()  # incidents with any of these values of the field

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def team_active(self) -> bool:
        return self.team is not None

    @property
    def field_active(self) -> bool:
        return self.field_id is not None and bool(self.field_values)

    def previous_period(self) -> Filters:
        """The period of equal length right before this one (for deltas)."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def params(self) -> dict[str, Any]:
        """The bound parameters of every clause below (`sql.run_query` passes a statement only those it
        names)."""
        return {
            **filter_params(
                self.start, self.end, self.severities, self.include_non_standard, self.incident_types
            ),
            "team_id": self.team if self.team not in (None, NO_TEAM) else None,
            "field_id": self.field_id,
            "field_values": list(self.field_values),
        }

    def _incident_clauses(self, column: str) -> list[str]:
        clauses = []
        if self.team == NO_TEAM:
            clauses.append(f"{column} NOT IN ({_TEAMED_INCIDENTS})")
        elif self.team is not None:
            clauses.append(f"{column} IN ({_TEAM_INCIDENTS})")
        if self.field_active:
            clauses.append(f"{column} IN ({_FIELD_INCIDENTS})")
        return clauses

    def incidents_cte(self) -> str:
        """A CTE named `filtered`: the rows of marts.fct_incidents the sidebar keeps (with
        `is_status_in_metrics` always present). Parameters: `params()`."""
        where = " AND ".join([_INCIDENT_FILTER, *self._incident_clauses("incident_id")])
        return f"""
            filtered AS (
                SELECT *
                FROM ({_INCIDENTS})
                WHERE {where}
            )
        """

    def incident_clause(self, column: str) -> str:
        """A boolean SQL expression: the incident id in `column` passes the team and field filters (not
        the period nor the severities: for marts with their own dates). `true` when neither is active."""
        return " AND ".join(self._incident_clauses(column)) or "true"

    def pagerduty_clause(self, column: str) -> str:
        """For PagerDuty incidents, `column` being their linked incident.io `incident_id`: with a team,
        those linked to an incident of the team; with "no team", those linked to an incident of no team
        or to none; with a field filter, those linked to an incident with the value. `true` otherwise."""
        clauses = []
        if self.team == NO_TEAM:
            clauses.append(f"({column} IS NULL OR {column} NOT IN ({_TEAMED_INCIDENTS}))")
        elif self.team is not None:
            clauses.append(f"{column} IN ({_TEAM_INCIDENTS})")
        if self.field_active:
            clauses.append(f"{column} IN ({_FIELD_INCIDENTS})")
        return " AND ".join(clauses) or "true"

    def people_clause(self, column: str) -> str:
        """A boolean SQL expression: the person (lower-cased email) in `column` passes the team filter
        (a member of the team in `dim_team_members`; with "no team", a member of none). `true` when no
        team is picked. The custom-field filter does not apply to people."""
        if self.team == NO_TEAM:
            return f"{column} NOT IN ({_TEAMED_PEOPLE})"
        if self.team is not None:
            return f"{column} IN ({_TEAM_PEOPLE})"
        return "true"

    def team_row_clause(self, column: str) -> str:
        """For marts with a `team_id` column (null for the no-team group): the rows of the team picked,
        of the null team for "no team", every row when no team is picked."""
        if self.team == NO_TEAM:
            return f"{column} IS NULL"
        if self.team is not None:
            return f"{column} = $team_id"
        return "true"

    def team_text(self) -> str:
        if self.team is None:
            return "all teams"
        if self.team == NO_TEAM:
            return "incidents and people of no team"
        return f"team {self.team_name or self.team}"

    def describe(self) -> str:
        """One line saying what the page shows, for the caption under its title."""
        severity_text = ", ".join(self.severities) if self.severities else "all severities"
        type_text = ", ".join(self.incident_types) if self.incident_types else "all types"
        field_text = (
            f", {self.field_name or self.field_id} in ({', '.join(self.field_values)})"
            if self.field_active
            else ""
        )
        return (
            f"Incidents reported {self.start:%d %b %Y} – {self.end:%d %b %Y} (UTC, {self.days} days), "
            f"{severity_text}, {type_text}, {self.team_text()}{field_text}"
            + (", including retrospective, test and tutorial incidents" if self.include_non_standard else "")
            + "."
        )


def severity_params(severities: tuple[str, ...]) -> dict[str, Any]:
    """Bound parameters of a severity filter: empty means all; NO_SEVERITY selects null severities."""
    names = [s for s in severities if s != NO_SEVERITY]
    return {
        "all_severities": not severities,
        "severities": names,
        "no_severity": NO_SEVERITY in severities,
    }


def filter_params(
    start: date,
    end: date,
    severities: tuple[str, ...] = (),
    include_non_standard: bool = False,
    incident_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The bound parameters of the incident filter: [start, end] are UTC days of `reported_at`,
    inclusive (`start` and `end_exclusive` are UTC timestamps)."""
    return {
        "start": datetime.combine(start, time(), UTC),
        "end_exclusive": datetime.combine(end + timedelta(days=1), time(), UTC),
        "include_non_standard": include_non_standard,
        **severity_params(severities),
        "all_types": not incident_types,
        "incident_types": list(incident_types),
    }


def can_include_non_standard(info: SnapshotInfo) -> bool:
    """Whether the snapshot says which non-standard incidents the toggle may add back."""
    return info.has("fct_incidents", STATUS_IN_METRICS)


def can_filter_teams(info: SnapshotInfo) -> bool:
    """Whether the snapshot holds the team marts the team filter reads."""
    return (
        info.has(TEAMS, "team_id", "team_name")
        and info.has(INCIDENT_TEAMS, "incident_id", "team_id")
        and info.has(TEAM_MEMBERS, "team_id", "person_email")
    )


def can_filter_fields(info: SnapshotInfo) -> bool:
    """Whether the snapshot holds `fct_incident_field_values`, which the custom-field filter reads."""
    return info.has(FIELD_VALUES, "incident_id", "custom_field_id", "custom_field_name", "value")


def default_period(info: SnapshotInfo) -> tuple[date, date]:
    """The last 90 days of data (anchored on the latest incident, so a stale snapshot still shows numbers)."""
    assert info.first_day is not None and info.last_day is not None
    end = info.last_day
    return max(info.first_day, end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)), end


def default_filters(info: SnapshotInfo) -> Filters:
    """The filters a new session starts with (`render_sidebar_filters` with untouched widgets): the
    default period, every severity, type, team and field value, the toggle off."""
    return Filters(*default_period(info))


_TEAM_CHOICES = {ALL_TEAMS: "All teams", NO_TEAM: NO_TEAM_LABEL}
_REBUILD = (
    "This snapshot predates the team and custom-field marts: rebuild and publish (`incident-lake run`)."
)


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

    teams_usable = can_filter_teams(info)
    team_names = dict(info.teams)
    team_options = [ALL_TEAMS, NO_TEAM, *team_names] if teams_usable else [ALL_TEAMS]
    if state.get(KEY_TEAM) not in team_options:
        state[KEY_TEAM] = ALL_TEAMS
    fields_usable = can_filter_fields(info)
    field_names = {field_id: name for field_id, name, _ in info.custom_fields}
    field_options = [ANY_FIELD, *field_names] if fields_usable else [ANY_FIELD]
    if state.get(KEY_FIELD) not in field_options:
        state[KEY_FIELD] = ANY_FIELD
    values_of = {field_id: values for field_id, _, values in info.custom_fields}
    offered = list(values_of.get(state[KEY_FIELD], ()))
    state[KEY_FIELD_VALUES] = [v for v in state.get(KEY_FIELD_VALUES, []) if v in offered]

    with st.sidebar:
        st.header("Filters")
        picked = st.date_input(
            "Reported between (UTC)",
            min_value=lowest,
            max_value=highest,
            key=KEY_DATES,
            help=definitions.REPORTED_AT.text(docs),
        )
        st.selectbox(
            "Team",
            options=team_options,
            key=KEY_TEAM,
            format_func=lambda t: _TEAM_CHOICES.get(t) or team_names.get(t, t),
            disabled=not teams_usable,
            help=definitions.TEAM_FILTER.text(docs) + ("" if teams_usable else f"\n\n{_REBUILD}"),
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
        st.selectbox(
            "Custom field",
            options=field_options,
            key=KEY_FIELD,
            format_func=lambda f: "Any field (no filter)" if f == ANY_FIELD else field_names.get(f, f),
            disabled=not fields_usable,
            help=definitions.FIELD_FILTER.text(docs) + ("" if fields_usable else f"\n\n{_REBUILD}"),
        )
        if state[KEY_FIELD] != ANY_FIELD:
            st.multiselect(
                "Field values",
                options=offered,
                key=KEY_FIELD_VALUES,
                placeholder="Any value (no filter)",
                help="Incidents with at least one of these values of the field. Leave empty for no filter.",
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
    team = state[KEY_TEAM]
    field = state[KEY_FIELD]
    filters = Filters(
        start=start,
        end=end,
        severities=tuple(state[KEY_SEVERITIES]),
        include_non_standard=bool(state[KEY_INCLUDE_NON_STANDARD]),
        incident_types=tuple(state[KEY_INCIDENT_TYPES]),
        team=None if team == ALL_TEAMS else team,
        team_name=NO_TEAM_LABEL if team == NO_TEAM else team_names.get(team, ""),
        field_id=None if field == ANY_FIELD else field,
        field_name=field_names.get(field, ""),
        field_values=tuple(state[KEY_FIELD_VALUES]) if field != ANY_FIELD else (),
    )
    state[STATE_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters the entrypoint stored for this run (pages call this, never the widgets)."""
    return st.session_state[STATE_KEY]
