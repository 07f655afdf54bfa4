-- One row per synced Slack message (every channel, deleted ones included): whether it is a person's
-- content, the one rule that the timeline, workload and activity all read (`is_person_content`).
--   * not content: no `user`; a bot (a `bot_id`, a `bot_profile`, subtype `bot_message`, or an author
--     flagged as a bot in users.list), with or without a subtype; a hidden event envelope;
--   * a known subtype (seed `slack_message_subtypes`, `(none)` for a plain message): its
--     `counts_as_content` decides (file_share, me_message, thread_broadcast count; joins, leaves,
--     topic/purpose/name changes, tombstones, pins and reminders do not);
--   * an unknown subtype: content when a person wrote text or shared a file, flagged
--     `is_unknown_subtype` (counted in metrics_data_coverage) so a new Slack subtype gets noticed.
-- The author is a person only when their Slack account belongs to someone in the organisation's
-- directories (int_person_tool_accounts.is_person); others (Slack Connect users, guests known only as
-- guests, accounts without an email) are `is_external`, with no `person_email`.
with

messages as (

    select * from {{ ref('stg_slack__messages') }}

),

subtypes as (

    select * from {{ ref('slack_message_subtypes') }}

),

slack_users as (

    select * from {{ ref('stg_slack__users') }}
    where deleted_at is null

),

slack_accounts as (

    select
        tool_user_id as slack_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'slack' and is_person

),

classified as (

    select
        messages.message_id,
        messages.channel_id,
        messages.message_ts,
        messages.thread_ts,
        messages.user_id as slack_user_id,
        slack_accounts.person_email,
        messages.message_subtype,
        subtypes.category as subtype_category,
        messages.is_thread_reply,
        messages.is_thread_broadcast,
        messages.posted_at,
        messages.deleted_at,
        subtypes.subtype is null as is_unknown_subtype,
        (messages.is_bot_message or coalesce(slack_users.is_bot, false)) as is_bot,
        case
            when messages.user_id is null then false
            when messages.is_bot_message or coalesce(slack_users.is_bot, false) then false
            when messages.is_hidden then false
            when subtypes.subtype is not null then subtypes.counts_as_content
            else coalesce(trim(messages.message_text), '') <> '' or messages.has_files
        end as is_person_content
    from messages
    left join subtypes
        on coalesce(messages.message_subtype, '(none)') = subtypes.subtype
    left join slack_users
        on messages.user_id = slack_users.slack_user_id
    left join slack_accounts
        on messages.user_id = slack_accounts.slack_user_id

),

final as (

    select
        *,
        -- Said by someone outside the organisation's directories (kept in the timeline, never credited).
        (is_person_content and person_email is null) as is_external
    from classified

)

select * from final
