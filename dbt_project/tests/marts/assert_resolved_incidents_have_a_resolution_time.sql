-- Every incident with a `resolved_at` has a `time_to_resolve_seconds`, unless its end is before its
-- start (flagged `is_resolve_duration_invalid`): a resolved incident must never silently drop out of
-- the MTTR sample.
select
    incident_id,
    reference,
    reported_at,
    resolved_at,
    time_to_resolve_seconds
from {{ ref('fct_incidents') }}
where
    resolved_at is not null
    and time_to_resolve_seconds is null
    and not is_resolve_duration_invalid
