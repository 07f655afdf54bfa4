-- One row per event of an incident, across the four tools, in time order (DESIGN §3, §5):
--   incidentio  incident updates: status and severity changes;
--   slack       people's messages and thread replies in the incident channel (a broadcast reply once;
--               no joins, no bots);
--   zoom        a join and a leave per participant row of the incident's call instances;
--   pagerduty   the log entries of the linked PagerDuty incident.
-- `detail` never holds Slack message text (it is not exported unless asked for).
with

updates as (

    select * from {{ ref('int_incident_updates_sequenced') }}

),

slack_messages as (

    select * from {{ ref('int_slack_incident_messages') }}

),

zoom_links as (

    select * from {{ ref('int_incident_zoom_instances') }}

),

zoom_participants as (

    select * from {{ ref('stg_zoom__participants') }}

),

zoom_accounts as (

    select
        tool_user_id as zoom_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'zoom'

),

pagerduty_links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}

),

pagerduty_accounts as (

    select
        tool_user_id as pagerduty_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'pagerduty'

),

incidentio_events as (

    select
        incident_id,
        'incidentio' as source,
        incident_update_id as event_id,
        case
            when is_status_change and is_severity_change then 'status_and_severity_change'
            when is_status_change then 'status_change'
            when is_severity_change then 'severity_change'
            else 'update'
        end as event_type,
        updater_email as person_email,
        case
            when is_status_change and is_severity_change
                then
                    'status ' || coalesce(previous_status_name || ' → ', '') || coalesce(new_status_name, '?')
                    || '; severity '
                    || coalesce(previous_severity_name || ' → ', '')
                    || coalesce(new_severity_name, '?')
            when is_status_change
                then 'status ' || coalesce(previous_status_name || ' → ', '') || coalesce(new_status_name, '?')
            when is_severity_change
                then 'severity ' || coalesce(previous_severity_name || ' → ', '') || coalesce(new_severity_name, '?')
            else 'update'
        end as detail,
        created_at as occurred_at
    from updates

),

slack_events as (

    select
        incident_id,
        'slack' as source,
        message_id as event_id,
        case when is_thread_reply then 'thread_reply' else 'message' end as event_type,
        person_email,
        case
            when is_thread_broadcast then 'thread reply, also sent to the channel'
            when is_thread_reply then 'thread reply'
            else 'message'
        end as detail,
        posted_at as occurred_at
    from slack_messages

),

zoom_rows as (

    select
        zoom_links.incident_id,
        zoom_participants.participant_join_id,
        coalesce(zoom_participants.participant_email, zoom_accounts.person_email) as person_email,
        zoom_participants.participant_name,
        zoom_participants.joined_at,
        zoom_participants.left_at
    from zoom_participants
    inner join zoom_links
        on zoom_participants.meeting_uuid = zoom_links.meeting_uuid
    left join zoom_accounts
        on zoom_participants.zoom_user_id = zoom_accounts.zoom_user_id

),

zoom_events as (

    select
        incident_id,
        'zoom' as source,
        participant_join_id || ':join' as event_id,
        'join' as event_type,
        person_email,
        coalesce(participant_name, 'participant') || ' joined the call' as detail,
        joined_at as occurred_at
    from zoom_rows

    union all

    select
        incident_id,
        'zoom' as source,
        participant_join_id || ':leave' as event_id,
        'leave' as event_type,
        person_email,
        coalesce(participant_name, 'participant') || ' left the call' as detail,
        left_at as occurred_at
    from zoom_rows
    where left_at is not null

),

pagerduty_events as (

    select
        pagerduty_links.incident_id,
        'pagerduty' as source,
        log_entries.log_entry_id as event_id,
        log_entries.log_entry_type as event_type,
        pagerduty_accounts.person_email,
        coalesce(log_entries.summary, log_entries.log_entry_type)
        || coalesce(' (' || log_entries.channel_type || ')', '') as detail,
        log_entries.created_at as occurred_at
    from log_entries
    inner join pagerduty_links
        on log_entries.pagerduty_incident_id = pagerduty_links.pagerduty_incident_id
    left join pagerduty_accounts
        on coalesce(
            log_entries.notified_user_id,
            case when log_entries.agent_type = 'user_reference' then log_entries.agent_id end
        ) = pagerduty_accounts.pagerduty_user_id

),

events as (

    select * from incidentio_events
    union all
    select * from slack_events
    union all
    select * from zoom_events
    union all
    select * from pagerduty_events

),

final as (

    select
        ---------- ids
        cast(incident_id as varchar) as incident_id,
        cast(event_id as varchar) as event_id,

        ---------- strings
        cast(source as varchar) as source,
        cast(event_type as varchar) as event_type,
        cast(person_email as varchar) as person_email,
        cast(detail as varchar) as detail,

        ---------- numerics
        cast(row_number() over (
            partition by incident_id
            order by occurred_at, source, event_id
        ) as integer) as event_sequence,

        ---------- timestamps
        cast(occurred_at as timestamptz) as occurred_at

    from events

)

select * from final
order by incident_id, event_sequence
