"""What each number of the dashboard means: the dbt docs of the columns it is computed from.

The dbt docs are the one home of every metric definition (model and column descriptions, doc blocks
included). The publisher copies them into the snapshot (`meta.definitions`, see exports/publish.py) and
the dashboard shows them here, so it never needs dbt at run time and never keeps a copy that could drift.
What this module adds is only what the dashboard itself does with those columns (which incidents the
filters keep, which aggregate of the column a card shows): the `how` of each entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboards.snapshot import ColumnDoc

MISSING_DOC = "(no dbt description in this snapshot: publish again after `incident-lake build`)"


@dataclass(frozen=True)
class Definition:
    """A number of the dashboard: what the dashboard computes (`how`) from which marts and columns
    (`sources`, "model" or "model.column", whose dbt descriptions follow)."""

    how: str
    sources: tuple[str, ...] = ()

    def text(self, docs: Mapping[str, ColumnDoc]) -> str:
        """Markdown: the dashboard's own sentence, then each source's dbt description."""
        parts = [self.how]
        for source in self.sources:
            doc = docs.get(source)
            description = doc.description if doc is not None and doc.description else MISSING_DOC
            parts.append(f"`{source}`: {description}")
        return "\n\n".join(parts)


_FILTERED = (
    "the incidents the sidebar filters keep (reported in the period, in metrics unless the toggle is on)"
)

REPORTED_AT = Definition(
    "The period filters incidents by `reported_at` (UTC days).", ("fct_incidents.reported_at",)
)

IN_METRICS = Definition(
    "Only incidents in metrics count. The toggle adds back the incidents left out only for their mode "
    "(retrospective, test, tutorial): `is_status_in_metrics`.",
    ("fct_incidents.is_in_metrics", "fct_incidents.is_status_in_metrics"),
)

INCIDENT_COUNT = Definition(
    f"Count of {_FILTERED}.", ("fct_incidents.reported_at", "fct_incidents.is_in_metrics")
)

TIME_TO_RESOLVE = Definition("Per incident:", ("fct_incidents.time_to_resolve_seconds",))

MTTR_MEDIAN = Definition(
    f"Median (linear interpolation) of the time to resolve of {_FILTERED}, over those with a duration.",
    ("fct_incidents.time_to_resolve_seconds", "fct_incidents.resolved_at"),
)

MTTR_MEAN = Definition(
    f"Mean time to resolve of {_FILTERED}, over those with a duration.",
    ("fct_incidents.time_to_resolve_seconds",),
)

MTTR_P90 = Definition(
    f"90th percentile (linear interpolation) of the time to resolve of {_FILTERED}.",
    ("fct_incidents.time_to_resolve_seconds",),
)

MEDIAN_CI = Definition(
    "95% confidence interval of the median time to resolve of the incidents shown, with the ranks dbt "
    "computes for `metrics_mttr` (a sample size beyond dbt's rank table gets no interval).",
    (
        "dim_median_confidence_ranks",
        "metrics_mttr.mttr_median_ci_lower_seconds",
        "metrics_mttr.mttr_median_ci_upper_seconds",
    ),
)

METRICS_MTTR_TABLE = Definition(
    "The `metrics_mttr` rows of the months overlapping the period, for the severities picked; the mart "
    "counts incidents in metrics whatever the toggle says.",
    ("metrics_mttr",),
)

PAGE_COUNT = Definition(
    "PagerDuty incidents created in the period (UTC days), every service and urgency; the severity, type "
    "and mode filters do not apply (most pages have no incident.io incident).",
    ("fct_pagerduty_incidents", "fct_pagerduty_incidents.created_at"),
)

MTTA = Definition(
    "Median, mean and p90 of the time to first acknowledgement over the PagerDuty incidents created in "
    "the period; never-acknowledged pages have no duration.",
    ("fct_pagerduty_incidents.seconds_to_first_ack",),
)

SEVERITY_DISTRIBUTION = Definition(
    f"{_FILTERED.capitalize()}, by current severity; incidents without a severity form their own group.",
    ("fct_incidents.severity_name", "fct_incidents.is_in_metrics"),
)

TIME_AT_SEVERITY = Definition(
    f"Total hours at each severity over {_FILTERED}, and the median per incident that held it.",
    ("fct_incident_severity_periods", "fct_incident_severity_periods.seconds_at_severity"),
)

SEVERITY_CHANGES = Definition(
    "A change is a move from one severity period to the next within an incident: an upgrade when the new "
    "severity ranks higher, a downgrade when lower.",
    ("fct_incident_severity_periods.severity_rank",),
)

MTTR_BY_SEVERITY = Definition(
    f"Per current severity of {_FILTERED}: mean, median (with its 95% confidence interval, dbt's ranks) "
    "and p90 of the time to resolve.",
    ("fct_incidents.time_to_resolve_seconds", "metrics_mttr.mttr_median_ci_lower_seconds"),
)

LEAD_LOAD = Definition(
    f"Incidents per incident lead over {_FILTERED}; incidents without a lead are counted apart.",
    ("fct_incidents.lead_email",),
)

ROLE_COVERAGE = Definition(
    f"Share of {_FILTERED} with each role assigned.",
    ("fct_incident_roles",),
)

TIME_TO_LEAD = Definition(
    f"Median and p90 over {_FILTERED} whose lead engaged.",
    ("fct_incident_response.seconds_to_lead_engaged",),
)

WORKLOAD = Definition(
    "The `metrics_responder_workload` weeks overlapping the period; the severity and type filters do not "
    "apply (a week mixes incidents).",
    (
        "metrics_responder_workload",
        "metrics_responder_workload.workload_minutes",
        "metrics_responder_workload.sleep_hour_page_count",
    ),
)

PAGE_HEATMAP = Definition(
    f"PagerDuty notifications (`notify_log_entry` events) of {_FILTERED}, by weekday and hour in the "
    "person's time zone (UTC when unknown). Out of hours means 22:00–08:00, weekends, or 18:00–22:00 on a "
    "weekday, local time.",
    ("fct_incident_timeline.event_type", "dim_people.timezone"),
)

FOLLOW_UP_OPEN = Definition(
    f"Follow-ups of {_FILTERED} that are open; age is measured from `created_at` to the snapshot's "
    "publish time.",
    ("fct_follow_ups.is_open", "fct_follow_ups.status"),
)

FOLLOW_UP_COMPLETION = Definition(
    "Completed follow-ups ÷ follow-ups not deleted (`not_doing` counts as not completed), per current "
    "severity of the incident.",
    ("fct_follow_ups.is_completed", "metrics_follow_ups.completion_rate"),
)

TIMELINE = Definition(
    "Every event of the incident across the four tools, in UTC.", ("fct_incident_timeline",)
)

SYNC_RUNS = Definition(
    "Per source: the last successful sync and the last run whatever its outcome. Ages are measured at "
    "publish time: a sync after the last publish shows in the next snapshot.",
    ("fct_sync_runs", "fct_sync_runs.is_success"),
)

ROW_COUNTS = Definition("Rows per marts table in this snapshot, counted when it was published.")

FRESHNESS = Definition(
    "The newest record from each source in the snapshot: incident.io's last reported incident, and the "
    "last Slack, Zoom and PagerDuty event of an incident timeline. Age is measured at publish time.",
    ("fct_incidents.reported_at", "fct_incident_timeline.occurred_at"),
)

DATA_COVERAGE = Definition(
    "The chart shows the computable share per metric and month. Low coverage means a metric speaks for "
    "few incidents.",
    ("metrics_data_coverage",),
)

# Every definition the dashboard shows, by the name of the number it explains (the Data health page lists
# them all, so the ledger is readable in one place).
LEDGER: dict[str, Definition] = {
    "Incidents": INCIDENT_COUNT,
    "MTTR median": MTTR_MEDIAN,
    "MTTR mean": MTTR_MEAN,
    "MTTR p90": MTTR_P90,
    "MTTR median 95% confidence interval": MEDIAN_CI,
    "MTTR by month and severity (metrics_mttr)": METRICS_MTTR_TABLE,
    "Pages (PagerDuty incidents)": PAGE_COUNT,
    "MTTA median / mean / p90": MTTA,
    "Severity distribution": SEVERITY_DISTRIBUTION,
    "Time at each severity": TIME_AT_SEVERITY,
    "Severity changes": SEVERITY_CHANGES,
    "MTTR by severity": MTTR_BY_SEVERITY,
    "Lead load": LEAD_LOAD,
    "Role coverage": ROLE_COVERAGE,
    "Time to lead": TIME_TO_LEAD,
    "Responder workload": WORKLOAD,
    "Pages by local hour and weekday": PAGE_HEATMAP,
    "Open follow-ups and their age": FOLLOW_UP_OPEN,
    "Follow-up completion rate": FOLLOW_UP_COMPLETION,
    "Incident timeline": TIMELINE,
    "Sync runs": SYNC_RUNS,
    "Row counts": ROW_COUNTS,
    "Freshness": FRESHNESS,
    "Data coverage": DATA_COVERAGE,
    "Reported at": REPORTED_AT,
    "In metrics": IN_METRICS,
}
