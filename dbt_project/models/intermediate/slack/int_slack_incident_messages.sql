-- One row per incident × person's Slack message in the incident's channel: top-level messages and
-- thread replies (a reply broadcast to the channel is one row already), never joins or other
-- system subtypes, never bots (a bot id, subtype bot_message, or a Slack user flagged as bot).
-- `person_email` comes from identity resolution (null for an unknown user).
-- Postgres misestimates the JSON filters of stg_slack__messages (1 row instead of ~all) and picks nested
-- loops that rescan the identity views per message: an hour at the default size instead of a second.
-- Hash joins are right here whatever the estimates; `set local` lasts for this model's transaction.
{{ config(pre_hook="{% if target.type == 'postgres' %}set local enable_nestloop = off{% endif %}") }}

with

messages as (

    select * from {{ ref('stg_slack__messages') }}

),

slack_users as (

    select * from {{ ref('stg_slack__users') }}

),

slack_accounts as (

    select
        tool_user_id as slack_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'slack'

),

incidents as (

    select
        incident_id,
        slack_channel_id
    from {{ ref('stg_incidentio__incidents') }}
    where slack_channel_id is not null

),

people_messages as (

    select messages.*
    from messages
    left join slack_users
        on messages.user_id = slack_users.slack_user_id
    where
        not messages.is_bot_message
        and (messages.message_subtype is null or messages.message_subtype = 'thread_broadcast')
        and not coalesce(slack_users.is_bot, false)
        and messages.user_id is not null

),

final as (

    select
        incidents.incident_id,
        people_messages.message_id,
        people_messages.channel_id,
        people_messages.user_id as slack_user_id,
        slack_accounts.person_email,
        people_messages.is_thread_reply,
        people_messages.is_thread_broadcast,
        people_messages.posted_at
    from people_messages
    inner join incidents
        on people_messages.channel_id = incidents.slack_channel_id
    left join slack_accounts
        on people_messages.user_id = slack_accounts.slack_user_id

)

select * from final
