-- One row per incident × person's Slack message in the incident's channel: top-level messages and
-- thread replies (a reply broadcast to the channel is one row already) that are a person's content by
-- the one rule of int_slack_messages_classified (seed slack_message_subtypes), not deleted at the
-- source. `person_email` is null and `is_external` true for authors outside the organisation's
-- directories: they stay in the timeline and are never credited as a person.
-- Postgres misestimates the JSON filters of stg_slack__messages (1 row instead of ~all) and picks nested
-- loops that rescan the identity views per message: an hour at the default size instead of a second.
-- Hash joins are right here whatever the estimates; `set local` lasts for this model's transaction.
{{ config(pre_hook="{% if target.type == 'postgres' %}set local enable_nestloop = off{% endif %}") }}

with

messages as (

    select * from {{ ref('int_slack_messages_classified') }}
    where is_person_content and deleted_at is null

),

incidents as (

    select
        incident_id,
        slack_channel_id
    from {{ ref('stg_incidentio__incidents') }}
    where slack_channel_id is not null and deleted_at is null

),

final as (

    select
        incidents.incident_id,
        messages.message_id,
        messages.channel_id,
        messages.slack_user_id,
        messages.person_email,
        messages.is_external,
        messages.is_unknown_subtype,
        messages.message_subtype,
        messages.is_thread_reply,
        messages.is_thread_broadcast,
        messages.posted_at
    from messages
    inner join incidents
        on messages.channel_id = incidents.slack_channel_id

)

select * from final
