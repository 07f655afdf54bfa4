-- One row per participant row of a Zoom meeting instance (GET /past_meetings/{uuid}/participants).
-- Zoom writes a new row for each join (a rejoin is a separate row with a new per-join `user_id`),
-- and a separate row, `status` 'in_waiting_room', for time spent in the waiting room before being
-- admitted: that row is neither time in the call nor a join (`is_in_call` false). Older payloads
-- carry no `status` (every row was in the meeting). People are matched by lower-cased email;
-- `user_email` is '' or missing for guests, dial-ins and masked external users.
-- Derived when missing (counted in metrics_data_coverage): `leave_time` from join_time + duration,
-- `duration` from leave_time - join_time.
with

source as (

    select * from {{ source('zoom', 'zoom_participants') }}

),

parsed as (

    select
        *,
        coalesce(join_time, cast({{ json_text('_record', 'join_time') }} as timestamptz)) as parsed_joined_at,
        cast({{ empty_to_null(json_text('_record', 'leave_time')) }} as timestamptz) as parsed_left_at,
        cast({{ json_text('_record', 'duration') }} as double precision) as parsed_duration_seconds
    from source

),

renamed as (

    select
        ---------- ids
        id as participant_join_id,
        meeting_uuid,
        meeting_id,
        -- The participant's Zoom user id (their account), '' for guests; `participant_user_id` on
        -- report payloads.
        coalesce(
            {{ empty_to_null(json_text('_record', 'id')) }},
            {{ empty_to_null(json_text('_record', 'participant_user_id')) }}
        ) as zoom_user_id,
        {{ empty_to_null(json_text('_record', 'user_id')) }} as participant_user_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as participant_name,
        lower({{ empty_to_null(json_text('_record', 'user_email')) }}) as participant_email,
        {{ json_text('_record', 'status') }} as participant_status,
        case
            when parsed_left_at is not null then 'leave_time'
            when parsed_duration_seconds is not null then 'derived_from_duration'
        end as left_at_source,

        ---------- numerics
        coalesce(
            parsed_duration_seconds,
            case
                when parsed_left_at >= parsed_joined_at
                    then {{ seconds_between('parsed_joined_at', 'parsed_left_at') }}
            end
        ) as duration_seconds,

        ---------- booleans
        -- Zoom's own flag: a user of this Zoom account (null in older payloads).
        cast({{ json_text('_record', 'internal_user') }} as boolean) as is_internal_user,
        coalesce({{ json_text('_record', 'status') }} <> 'in_waiting_room', true) as is_in_call,

        ---------- timestamps
        parsed_joined_at as joined_at,
        coalesce(
            parsed_left_at,
            {{ add_seconds('parsed_joined_at', 'parsed_duration_seconds') }}
        ) as left_at,
        {{ source_deleted_at(source('zoom', 'zoom_participants')) }} as deleted_at,
        _synced_at

    from parsed

)

select * from renamed
