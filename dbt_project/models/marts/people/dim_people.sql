-- One row per person, identified by lower-cased email across incident.io, Slack, Zoom and PagerDuty
-- (docs/metrics.md#people), with their id in each tool. Former employees (inactive in incident.io, deleted in
-- Slack) stay: their past messages and roles still belong to them.
with

identities as (

    select * from {{ ref('int_people_identities') }}

),

final as (

    select
        ---------- ids
        cast(person_email as varchar) as person_email,
        cast(incidentio_user_id as varchar) as incidentio_user_id,
        cast(slack_user_id as varchar) as slack_user_id,
        cast(zoom_user_id as varchar) as zoom_user_id,
        cast(pagerduty_user_id as varchar) as pagerduty_user_id,

        ---------- strings
        cast(person_name as varchar) as name,
        cast(timezone as varchar) as timezone,
        cast(timezone_source as varchar) as timezone_source,

        ---------- numerics
        cast(tool_count as integer) as tool_count,

        ---------- booleans
        is_former

    from identities

)

select * from final
