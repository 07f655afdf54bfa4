-- One row per incident.io user (UserWithRolesV2), active or not: a former employee stays known here
-- (inactive) after their Slack account is deleted, which is how their Slack messages keep an owner.
with

source as (

    select * from {{ source('incidentio', 'incidentio_users') }}

),

renamed as (

    select
        ---------- ids
        id as incidentio_user_id,
        {{ empty_to_null(json_text('_record', 'slack_user_id')) }} as slack_user_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as user_name,
        lower({{ empty_to_null(json_text('_record', 'email')) }}) as email,
        {{ json_text('_record', 'role') }} as legacy_role,
        {{ json_text('_record', 'base_role.name') }} as base_role_name,

        ---------- booleans
        coalesce(cast({{ json_text('_record', 'is_active') }} as boolean), true) as is_active,

        ---------- timestamps
        {{ source_deleted_at(source('incidentio', 'incidentio_users')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
