-- One row per participant join of a Zoom meeting instance. A rejoin is a separate row (Zoom gives
-- it a new `user_id`); people are matched across rows and tools by lower-cased email.
with

source as (

    select * from {{ source('zoom', 'zoom_participants') }}

),

renamed as (

    select
        ---------- ids
        id as participant_join_id,
        meeting_uuid,
        meeting_id,
        {{ empty_to_null(json_text('_record', 'id')) }} as zoom_user_id,
        {{ empty_to_null(json_text('_record', 'user_id')) }} as participant_user_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as participant_name,
        lower({{ empty_to_null(json_text('_record', 'user_email')) }}) as participant_email,
        {{ json_text('_record', 'status') }} as participant_status,

        ---------- numerics
        cast({{ json_text('_record', 'duration') }} as integer) as duration_seconds,

        ---------- booleans
        cast({{ json_text('_record', 'internal_user') }} as boolean) as is_internal_user,

        ---------- timestamps
        coalesce(join_time, cast({{ json_text('_record', 'join_time') }} as timestamptz)) as joined_at,
        cast({{ json_text('_record', 'leave_time') }} as timestamptz) as left_at,
        _synced_at

    from source

)

select * from renamed
