-- int_incident_windows restates the ledger's reported_at and resolved_at (DESIGN §5) for the Zoom
-- window; it must agree with fct_incidents on every incident, or calls would be linked on other
-- timestamps than the metrics use.
select
    incidents.incident_id,
    incidents.reported_at,
    windows.reported_at as window_reported_at,
    incidents.resolved_at,
    windows.resolved_at as window_resolved_at
from {{ ref('fct_incidents') }} as incidents
full outer join {{ ref('int_incident_windows') }} as windows
    on incidents.incident_id = windows.incident_id
where
    incidents.incident_id is null
    or windows.incident_id is null
    or incidents.reported_at is distinct from windows.reported_at
    or incidents.resolved_at is distinct from windows.resolved_at
