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
