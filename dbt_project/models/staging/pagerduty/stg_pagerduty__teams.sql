-- One row per PagerDuty team (GET /teams).
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_teams') }}

),

renamed as (

    select
        ---------- ids
        id as pagerduty_team_id,

        ---------- strings
        -- As PagerDuty spells it (not trimmed): the match with incident.io trims and lower-cases.
        coalesce({{ json_text('_record', 'name') }}, {{ json_text('_record', 'summary') }}) as team_name,
        {{ empty_to_null(json_text('_record', 'description')) }} as team_description,
        {{ json_text('_record', 'html_url') }} as html_url,

        ---------- timestamps
        {{ source_deleted_at(source('pagerduty', 'pagerduty_teams')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
