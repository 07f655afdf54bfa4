-- Lists incidents whose end timestamp is before its start (docs/metrics.md#durations): "Resolved at" before
-- "Reported at", or "Fixed at" before "Impact started at" / "Reported at". People edit timestamps
-- by hand in incident.io, so this happens; it is a data error for the incident's owners to fix, not
-- a reason to stop the build. The durations of these incidents are null in fct_incidents (and so
-- left out of metrics_mttr); the timestamps are kept as they are.
{{ config(severity='warn') }}

select
    incident_id,
    reference,
    reported_at,
    impact_started_at,
    fixed_at,
    resolved_at,
    is_resolve_duration_invalid,
    is_mitigate_duration_invalid
from {{ ref('fct_incidents') }}
where is_duration_invalid
