-- One row per Slack message or thread reply in an incident channel (a reply broadcast to the
-- channel is one row: the connector keys messages by '<channel_id>:<ts>').
-- The channel comes from the typed `channel_id` column, never from the record.
-- Incremental (docs/metrics.md#incremental-builds): only the raw rows changed since the last run.
{{ config(materialized='incremental', unique_key='message_id') }}

with

source as (

    select * from {{ source('slack', 'slack_messages') }}
    where {{ raw_changed_since_last_run(source('slack', 'slack_messages')) }}

),

renamed as (

    select
        ---------- ids
        id as message_id,
        channel_id,
        ts as message_ts,
        coalesce(thread_ts, {{ json_text('_record', 'thread_ts') }}) as thread_ts,
        {{ empty_to_null(json_text('_record', 'user')) }} as user_id,
        {{ empty_to_null(json_text('_record', 'bot_id')) }} as bot_id,
        {{ empty_to_null(json_text('_record', 'bot_profile.id')) }} as bot_profile_id,
        -- The author's workspace: `user_team` on messages of Slack Connect channels, else `team`.
        coalesce(
            {{ empty_to_null(json_text('_record', 'user_team')) }},
            {{ empty_to_null(json_text('_record', 'team')) }}
        ) as author_team_id,
        {{ empty_to_null(json_text('_record', 'parent_user_id')) }} as parent_user_id,

        ---------- strings
        {{ json_text('_record', 'type') }} as message_type,
        {{ json_text('_record', 'subtype') }} as message_subtype,
        {{ json_text('_record', 'text') }} as message_text,

        ---------- numerics
        coalesce(cast({{ json_text('_record', 'reply_count') }} as integer), 0) as reply_count,

        ---------- booleans
        -- An upload: a `files` array with at least one file (a message may carry files without text).
        coalesce({{ json_array_length(json_value('_record', 'files')) }} > 0, false) as has_files,
        coalesce(cast({{ json_text('_record', 'hidden') }} as boolean), false) as is_hidden,
        coalesce(thread_ts, {{ json_text('_record', 'thread_ts') }}) is not null
        and coalesce(thread_ts, {{ json_text('_record', 'thread_ts') }}) <> ts as is_thread_reply,
        coalesce({{ json_text('_record', 'subtype') }} = 'thread_broadcast', false) as is_thread_broadcast,
        (
            {{ empty_to_null(json_text('_record', 'bot_id')) }} is not null
            or {{ json_text('_record', 'bot_profile.id') }} is not null
            or coalesce({{ json_text('_record', 'subtype') }} = 'bot_message', false)
        ) as is_bot_message,

        ---------- timestamps
        {{ slack_ts_to_timestamp('ts') }} as posted_at,
        {{ slack_ts_to_timestamp(json_text('_record', 'edited.ts')) }} as edited_at,
        {{ source_deleted_at(source('slack', 'slack_messages')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
