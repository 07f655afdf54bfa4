-- One row per Zoom user of the account (GET /users). Pending users have no id yet: the connector
-- keys them by email.
with

source as (

    select * from {{ source('zoom', 'zoom_users') }}

),

renamed as (

    select
        ---------- ids
        id as zoom_user_id,

        ---------- strings
        lower({{ empty_to_null(json_text('_record', 'email')) }}) as email,
        {{ empty_to_null(json_text('_record', 'first_name')) }} as first_name,
        {{ empty_to_null(json_text('_record', 'last_name')) }} as last_name,
        coalesce(
            {{ empty_to_null(json_text('_record', 'display_name')) }},
            trim(
                coalesce({{ json_text('_record', 'first_name') }}, '')
                || ' ' || coalesce({{ json_text('_record', 'last_name') }}, '')
            )
        ) as display_name,
        {{ empty_to_null(json_text('_record', 'timezone')) }} as timezone,
        {{ empty_to_null(json_text('_record', 'dept')) }} as department,
        {{ json_text('_record', 'status') }} as user_status,
        {{ json_text('_record', 'user_type') }} as user_type,

        ---------- numerics
        cast({{ json_text('_record', 'type') }} as integer) as license_type,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'last_login_time') }} as timestamptz) as last_login_at,
        {{ source_deleted_at(source('zoom', 'zoom_users')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
