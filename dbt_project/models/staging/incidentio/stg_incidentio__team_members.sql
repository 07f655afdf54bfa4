-- One row per member of an incident.io team: the team's `members[]` unnested. A team without members
-- gives no row. Emails are lower-cased: people are matched across the tools by lower-cased email.
with

source as (

    select * from {{ source('incidentio', 'incidentio_teams') }}

),

members as (

    select
        source.id as team_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_teams')) }} as deleted_at,
        source._synced_at,
        member.element as member,
        member.element_index
    from source
    {{ json_array_elements('source._record', 'members', 'member') }}

),

renamed as (

    select
        ---------- ids
        team_id || ':' || cast(element_index as varchar) as team_member_id,
        team_id,
        {{ json_text('member', 'id') }} as incidentio_user_id,
        {{ empty_to_null(json_text('member', 'slack_user_id')) }} as slack_user_id,

        ---------- strings
        lower({{ empty_to_null(json_text('member', 'email')) }}) as email,
        {{ json_text('member', 'name') }} as member_name,

        ---------- numerics
        element_index,

        ---------- timestamps
        -- The team's deletion at the source (its members go with it).
        deleted_at,
        _synced_at

    from members

)

select * from renamed
