-- One row per PagerDuty incident × team it is assigned to: each incident's `teams[]` (team
-- references) unnested.
-- Incremental (docs/metrics.md#incremental-builds): the rows of the raw rows changed since the last run,
-- after deleting those raw rows' previous rows (pre-hook).
{{
    config(
        materialized='incremental',
        unique_key='pagerduty_incident_id',
        pre_hook="{{ delete_rows_of_changed_raw_rows('pagerduty_incident_id', source('pagerduty', 'pagerduty_incidents')) }}",
    )
}}

with

source as (

    select * from {{ source('pagerduty', 'pagerduty_incidents') }}
    where {{ raw_changed_since_last_run(source('pagerduty', 'pagerduty_incidents')) }}

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
