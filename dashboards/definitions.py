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

SKIPPED_ENTITIES = Definition(
    "Entities the last sync could not read because the API refused them: 403 when the key lacks a "
    "permission, 404 when the account lacks the feature. The rest of the source synced; marts fed only "
    "by a skipped entity are empty until it is read again.",
    ("fct_skipped_entities",),
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

TEAM_FILTER = Definition(
    "A team's incidents are those `fct_incident_teams` attributes to it (an incident of two teams counts "
    'in each); its people are its `dim_team_members` (on-call, pages and workload). "(no team)" keeps the '
    "incidents without a team and the people in no team.",
    ("fct_incident_teams.attributed_by", "dim_team_members", "dim_teams.team_id"),
)

FIELD_FILTER = Definition(
    "Keeps the incidents with at least one of the picked values of the custom field (multi-select "
    "fields have a row per option). It applies to incidents, not to people, on-call hours or pages.",
    ("fct_incident_field_values", "fct_incident_field_values.value"),
)

METRICS_MTTR_BY_TEAM = Definition(
    'The `metrics_mttr_by_team` rows of the team picked (the null-team group for "(no team)") for the '
    "months overlapping the period and the severities picked; the mart counts incidents in metrics "
    "whatever the toggle, type and custom-field filters say.",
    ("metrics_mttr_by_team", "metrics_mttr_by_team.team_id"),
)

TEAM_MTTR = Definition(
    f"Per team, over {_FILTERED}: incidents and their mean, median and p90 time to resolve. An incident "
    'of two teams counts once in each; incidents without a team form "(no team)".',
    ("fct_incident_teams", "fct_incidents.time_to_resolve_seconds"),
)

TEAM_WORKLOAD = Definition(
    "The `metrics_team_workload` weeks (ISO, UTC) overlapping the period: the incident hours "
    "(`workload_minutes` ÷ 60), pages and sleep-hour pages summed over each team's members. The severity, "
    "type and custom-field filters do not apply (a week mixes incidents).",
    (
        "metrics_team_workload",
        "metrics_team_workload.workload_minutes",
        "metrics_team_workload.sleep_hour_page_count",
    ),
)

FOLLOW_THROUGH = Definition(
    f"Over {_FILTERED} that are resolved: the share with at least one post-mortem document, the share "
    "with a completed one, and completed follow-ups ÷ all their follow-ups (every status), as "
    "`metrics_post_incident` counts them.",
    (
        "fct_postmortems.completed_at",
        "fct_follow_ups.status",
        "metrics_post_incident.postmortem_completed_count",
        "metrics_post_incident.follow_up_completed_count",
    ),
)

POST_INCIDENT_TABLE = Definition(
    "The `metrics_post_incident` rows (month of `resolved_at`, UTC) of the months overlapping the period "
    "and the severities picked, medians included; the mart counts every resolved incident in metrics, "
    "whatever the team, type and custom-field filters say.",
    (
        "metrics_post_incident",
        "metrics_post_incident.median_hours_to_postmortem_completed",
        "metrics_post_incident.median_days_to_follow_up_completed",
    ),
)

ONCALL_HOURS = Definition(
    "The `metrics_oncall_burden` weeks (ISO, UTC) overlapping the period, of the people the team and "
    "person filters keep: on-call hours (overlapping shifts counted once) split into business, off and "
    "sleep hours in the person's time zone (UTC when `dim_people` has none).",
    (
        "metrics_oncall_burden.oncall_hours",
        "metrics_oncall_burden.business_hours",
        "metrics_oncall_burden.off_hours",
        "metrics_oncall_burden.sleep_hours",
    ),
)

ONCALL_PAGES = Definition(
    "Pages (`fct_pages`) notified in the period (UTC days) to the people the team and person filters "
    "keep. Pages per on-call week = the person's pages in weeks with on-call hours ÷ those weeks.",
    ("fct_pages", "fct_pages.notified_at", "fct_pages.is_sleep_hour", "metrics_oncall_burden.page_count"),
)

PAGES_OUTSIDE_SHIFT = Definition(
    "Pages to a person with no shift of either tool at that moment: people paged while not on the rota "
    "(a health signal: a rota that does not match who really gets paged).",
    ("fct_pages.during_oncall_shift", "metrics_oncall_burden.pages_outside_shift_count"),
)

PAGE_MTTA = Definition(
    "Per source, over the pages shown: median, mean and p90 of `acknowledged_at − notified_at`; pages "
    "never acknowledged have no duration (coverage: acknowledged ÷ pages).",
    ("fct_pages.acknowledged_at", "fct_pages.notified_at", "fct_pages.source"),
)

ONCALL_FAIRNESS = Definition(
    "Per team, over its members (`dim_team_members`) with on-call hours or pages in the weeks shown: each "
    "member's share of the team's on-call hours and of its sleep-hour pages, against the equal share "
    "(1 ÷ members). The Gini coefficient sums it up: 0 when every member carries the same, rising "
    "towards 1 as one member carries it all (mean absolute difference between members ÷ twice the mean).",
    ("dim_team_members", "metrics_oncall_burden.oncall_hours", "metrics_oncall_burden.sleep_hour_page_count"),
)

TIME_TO_DECLARE = Definition(
    f"Per month of `reported_at` and severity, over {_FILTERED} that have an alert: median and p90 of the "
    "time from the first alert to the incident's creation (coverage: incidents with a valid time ÷ "
    "incidents).",
    ("fct_incidents.first_alert_at", "fct_incidents.time_to_declare_seconds"),
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
    "Skipped entities": SKIPPED_ENTITIES,
    "Row counts": ROW_COUNTS,
    "Freshness": FRESHNESS,
    "Data coverage": DATA_COVERAGE,
    "Reported at": REPORTED_AT,
    "In metrics": IN_METRICS,
    "Team filter": TEAM_FILTER,
    "Custom-field filter": FIELD_FILTER,
    "MTTR by month, team and severity (metrics_mttr_by_team)": METRICS_MTTR_BY_TEAM,
    "MTTR and incidents per team": TEAM_MTTR,
    "Team incident hours per week": TEAM_WORKLOAD,
    "Post-mortem and follow-up completion": FOLLOW_THROUGH,
    "Post-incident by month and severity (metrics_post_incident)": POST_INCIDENT_TABLE,
    "On-call hours by band": ONCALL_HOURS,
    "Pages and pages per on-call week": ONCALL_PAGES,
    "Pages outside any shift": PAGES_OUTSIDE_SHIFT,
    "MTTA of pages by source": PAGE_MTTA,
    "On-call fairness (share and Gini)": ONCALL_FAIRNESS,
    "Time from first alert to declared": TIME_TO_DECLARE,
}
