-- One row per Slack channel synced (the incident channels), from conversations.info.
with

source as (

    select * from {{ source('slack', 'slack_channels') }}

),

renamed as (

    select
        ---------- ids
        id as channel_id,
        {{ empty_to_null(json_text('_record', 'creator')) }} as creator_user_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as channel_name,
        {{ empty_to_null(json_text('_record', 'topic.value')) }} as topic,
        {{ empty_to_null(json_text('_record', 'purpose.value')) }} as purpose,

        ---------- booleans
        coalesce(cast({{ json_text('_record', 'is_private') }} as boolean), false) as is_private,
        coalesce(cast({{ json_text('_record', 'is_archived') }} as boolean), false) as is_archived,

        ---------- timestamps
        coalesce(
            created_at,
            {{ epoch_seconds_to_timestamp(json_text('_record', 'created')) }}
        ) as created_at,
        {{ source_deleted_at(source('slack', 'slack_channels')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
