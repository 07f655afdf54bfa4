-- One row per Slack user (users.list): people, bots, Slackbot and deleted users. A deleted user loses
-- `profile.email`, so people are matched to Slack ids by email here and, failing that, through the
-- incident.io user's `slack_user_id` (in intermediate).
with

source as (

    select * from {{ source('slack', 'slack_users') }}

),

renamed as (

    select
        ---------- ids
        id as slack_user_id,
        {{ json_text('_record', 'team_id') }} as team_id,
        {{ empty_to_null(json_text('_record', 'profile.bot_id')) }} as bot_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as username,
        coalesce(
            {{ empty_to_null(json_text('_record', 'real_name')) }},
            {{ empty_to_null(json_text('_record', 'profile.real_name')) }}
        ) as real_name,
        {{ empty_to_null(json_text('_record', 'profile.display_name')) }} as display_name,
        lower({{ empty_to_null(json_text('_record', 'profile.email')) }}) as email,
        {{ empty_to_null(json_text('_record', 'tz')) }} as timezone,
        {{ empty_to_null(json_text('_record', 'profile.title')) }} as title,

        ---------- booleans
        (
            coalesce(cast({{ json_text('_record', 'is_bot') }} as boolean), false)
            or id = 'USLACKBOT'
        ) as is_bot,
        coalesce(cast({{ json_text('_record', 'deleted') }} as boolean), false) as is_deleted,
        coalesce(cast({{ json_text('_record', 'is_app_user') }} as boolean), false) as is_app_user,
        coalesce(cast({{ json_text('_record', 'is_restricted') }} as boolean), false) as is_restricted,
        coalesce(cast({{ json_text('_record', 'is_ultra_restricted') }} as boolean), false) as is_ultra_restricted,
        -- A user of another organisation seen through a shared (Slack Connect) channel.
        coalesce(cast({{ json_text('_record', 'is_stranger') }} as boolean), false) as is_stranger,

        ---------- timestamps
        {{ epoch_seconds_to_timestamp(json_text('_record', 'updated')) }} as updated_at,
        {{ source_deleted_at(source('slack', 'slack_users')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
