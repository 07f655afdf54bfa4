-- One row per PagerDuty incident × team it is assigned to: each incident's `teams[]` (team
-- references) unnested.
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_incidents') }}

),

incident_teams as (

    select
        source.id as pagerduty_incident_id,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_incidents')) }} as deleted_at,
        source._synced_at,
        team_ref.element as team_ref,
        team_ref.element_index
    from source
    {{ json_array_elements('source._record', 'teams', 'team_ref') }}

),

renamed as (

    select
        ---------- ids
        pagerduty_incident_id || ':' || {{ json_text('team_ref', 'id') }} as incident_team_id,
        pagerduty_incident_id,
        {{ json_text('team_ref', 'id') }} as pagerduty_team_id,

        ---------- strings
        {{ json_text('team_ref', 'summary') }} as team_summary,

        ---------- numerics
        element_index,

        ---------- timestamps
        -- The PagerDuty incident's deletion at the source.
        deleted_at,
        _synced_at

    from incident_teams

)

select * from renamed
