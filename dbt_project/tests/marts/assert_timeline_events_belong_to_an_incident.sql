-- Every event of fct_incident_timeline belongs to an incident of fct_incidents, and happens at a
-- known time: an event that cannot be placed on an incident's timeline is a linking bug (a Slack
-- channel, Zoom instance or PagerDuty incident attached to nothing).
select
    timeline.incident_id,
    timeline.source,
    timeline.event_id,
    timeline.occurred_at
from {{ ref('fct_incident_timeline') }} as timeline
left join {{ ref('fct_incidents') }} as incidents
    on timeline.incident_id = incidents.incident_id
where
    incidents.incident_id is null
    or timeline.occurred_at is null
