-- One row per PagerDuty user × team they belong to: each user's `teams[]` (team references) unnested.
-- PagerDuty has no membership listing of its own; GET /users carries it.
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_users') }}

),

user_teams as (

    select
        source.id as pagerduty_user_id,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_users')) }} as deleted_at,
        source._synced_at,
        lower({{ empty_to_null(json_text('source._record', 'email')) }}) as email,
        team_ref.element as team_ref
    from source
    {{ json_array_elements('source._record', 'teams', 'team_ref') }}

),

renamed as (

    select
        ---------- ids
        pagerduty_user_id || ':' || {{ json_text('team_ref', 'id') }} as user_team_id,
        pagerduty_user_id,
        {{ json_text('team_ref', 'id') }} as pagerduty_team_id,

        ---------- strings
        email,
        {{ json_text('team_ref', 'summary') }} as team_summary,

        ---------- timestamps
        -- The user's deletion at the source.
        deleted_at,
        _synced_at

    from user_teams

)

select * from renamed
