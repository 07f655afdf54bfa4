"""The definitions shown next to each number (DESIGN §5, "the ledger"), in one place."""

from __future__ import annotations

REPORTED_AT = (
    "`reported_at` is incident.io's \"Reported at\" timestamp, else the incident's `created_at` (UTC)."
)

IN_METRICS = (
    "Only incidents in metrics count: mode `standard` and status category not `declined`, `merged`, "
    "`canceled` or `triage` (`is_in_metrics`). Retrospective, test and tutorial incidents are kept but "
    "excluded from response metrics; the sidebar toggle adds them back here."
)

TIME_TO_RESOLVE = (
    'Time to resolve = `resolved_at − reported_at`. `resolved_at` is "Resolved at", else the first update '
    "into status category `learning` or `closed`. Unresolved incidents have no duration, and an end before "
    "its start is a data error whose duration is left out."
)

PERCENTILES = "Percentiles interpolate linearly between ranks (`quantile_cont`)."

INCIDENT_COUNT = f"Incidents reported in the period. {REPORTED_AT}\n\n{IN_METRICS}\n\n(DESIGN §5)"

MTTR_MEDIAN = (
    f"Median time to resolve of the period's incidents. {TIME_TO_RESOLVE}\n\n{PERCENTILES}\n\n"
    "MTTR is shown as mean, median and p90 side by side because the mean alone misleads on skewed "
    "durations. (DESIGN §5)"
)

MTTR_MEAN = f"Mean time to resolve over the incidents with a duration. {TIME_TO_RESOLVE} (DESIGN §5)"

MTTR_P90 = (
    f"90th percentile of time to resolve: 9 in 10 incidents resolved faster. {TIME_TO_RESOLVE}\n\n"
    f"{PERCENTILES} (DESIGN §5)"
)

METRICS_MTTR_TABLE = (
    "From the `metrics_mttr` mart: one row per month (of `reported_at`, UTC) and severity; only "
    "`is_in_metrics` incidents, whatever the sidebar toggle says. `incident_count` counts them all, "
    "`resolved_count` those with a `resolved_at`; mean, median and p90 are over the non-null durations; "
    "incidents without a severity form their own group. Whole months overlapping the period are listed."
)

MEDIAN_CI = (
    "95% confidence interval of the median, distribution-free (as `metrics_mttr` computes it): with the "
    "n durations sorted, the values at ranks l and n + 1 − l, where l is the largest rank with "
    "P(B ≤ l − 1) ≤ 2.5% for B ~ binomial(n, ½) (exact up to n = 2000, then the normal approximation). "
    "Shown from 6 durations on; a wide interval means the median is not yet a stable number."
)

MTTA = (
    "Time to acknowledge, PagerDuty's own definition: the earliest acknowledge log entry − the PagerDuty "
    "incident's `created_at` (`fct_pagerduty_incidents.seconds_to_first_ack`, even when there are "
    "several acknowledgements). Over every PagerDuty incident created in the period (UTC days), linked "
    "to an incident.io incident or not: the severity, type and mode filters do not apply to pages. "
    "Never-acknowledged pages have no duration. (DESIGN §5)"
)

PAGE_COUNT = (
    "PagerDuty incidents created in the period (UTC days), every service and urgency. The severity, type "
    "and mode filters do not apply: most pages have no incident.io incident."
)

SEVERITY_DISTRIBUTION = (
    "Incidents by their current severity (`fct_incidents.severity_name`); incidents without a severity "
    f"form their own group. {IN_METRICS}"
)

TIME_AT_SEVERITY = (
    "How long incidents spent at each severity, from `fct_incident_severity_periods`: the periods between "
    "the severity changes of incident.io's updates, each measured in `seconds_at_severity`. Total hours at "
    "a severity over the filtered incidents, and the median per incident that held it."
)

SEVERITY_CHANGES = (
    "A severity change is a move from one severity period to the next within an incident: an upgrade "
    "when the new severity ranks higher (more severe), a downgrade when lower."
)

MTTR_BY_SEVERITY = (
    "Time to resolve per current severity over the filtered incidents: mean, median (with its 95% "
    f"confidence interval) and p90. {TIME_TO_RESOLVE}"
)

LEAD_LOAD = (
    "Incidents per incident lead (`fct_incidents.lead_email`, the person holding the role of type `lead`) "
    "over the filtered incidents. Incidents without a lead are counted apart."
)

ROLE_COVERAGE = (
    "Share of the filtered incidents with each role assigned (`fct_incident_roles` holds assigned roles "
    "only: an unassigned role is no row)."
)

TIME_TO_LEAD = (
    "Time until the incident lead got to work: the lead's first event in the incident's timeline (any of "
    "the four tools) − `reported_at`, 0 when the lead acted before it was reported. incident.io's API "
    "records who holds a role but not when it was assigned, so the first activity stands in for the "
    "assignment time (when `fct_incident_roles.assigned_at` exists, that is used instead)."
)

WORKLOAD = (
    "From `metrics_responder_workload` (person × ISO week, weeks start Monday UTC): each activity "
    "(Slack message, incident update, PagerDuty acknowledgement, Zoom time) earns 10 minutes, activities "
    "within 20 minutes of the previous one count as continuous work, Zoom counts its real minutes, and "
    "nobody is credited more than 60 minutes in a clock hour. `slack_message_count` counts messages and "
    "thread replies in incident channels, `zoom_minutes` the time in incident calls, `page_count` "
    "PagerDuty interruptions (push, phone or SMS, once per user within 60 s), `sleep_hour_page_count` "
    "those between 22:00 and 08:00 in the person's time zone. Weeks overlapping the period are shown; "
    "the severity and type filters do not apply (a week mixes incidents). (DESIGN §5)"
)

PAGE_HEATMAP = (
    "PagerDuty notifications to people (`notify_log_entry` events of `fct_incident_timeline`, every "
    "channel, email included) of the filtered incidents, by weekday and hour in the person's own time "
    "zone (`dim_people.timezone`; UTC when unknown). Sleep hours are 22:00–08:00 local (DESIGN §5); "
    "out of hours means sleep hours, weekends, or 18:00–22:00 on a weekday."
)

FOLLOW_UP_OPEN = (
    "A follow-up is open while its status is neither `completed`, `not_doing` nor `deleted`. Its age is "
    "the time from `created_at` to the snapshot's publish time. Follow-ups of the filtered incidents only."
)

FOLLOW_UP_COMPLETION = (
    "Completion rate = completed follow-ups ÷ all follow-ups except deleted ones (`not_doing` counts as "
    "not completed), per current severity of the incident."
)

TIMELINE = (
    "Every event of the incident across the four tools (`fct_incident_timeline`): incident.io updates "
    "(status and severity changes), Slack messages and thread replies, a Zoom join and leave per "
    "participant row, and PagerDuty log entries. Times in UTC."
)

SYNC_RUNS = (
    "The pipeline's sync runs per source (`meta.sync_runs`, copied into the snapshot as "
    "`marts._sync_runs`): the last successful run, and the last run whatever its outcome. Ages are "
    "measured at publish time: a sync after the last publish shows only in the next snapshot."
)

ROW_COUNTS = "Rows per marts table in this snapshot, as counted when it was published (`marts._published`)."

FRESHNESS = (
    "The newest record from each source in the snapshot: incident.io's last reported incident, and the "
    "last Slack, Zoom and PagerDuty event of an incident timeline. Age is measured at publish time."
)

DATA_COVERAGE = (
    "From `metrics_data_coverage`: per metric and month, the incidents in metrics by coverage status: "
    "`computable` when the metric has the data it needs, else why not (for instance a duration left out "
    "because its end is before its start, or no PagerDuty link). The chart shows the computable share. "
    "Low coverage means a metric speaks for few incidents."
)

# Every definition the dashboard shows, by the name of the number it explains (the Data health page lists
# them all, so the ledger is readable in one place).
LEDGER: dict[str, str] = {
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
    "Percentiles": PERCENTILES,
}
