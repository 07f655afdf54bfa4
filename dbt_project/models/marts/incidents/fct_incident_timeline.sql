-- One row per event of an incident, across the four tools, in time order (docs/metrics.md#timeline):
--   incidentio  incident updates: status and severity changes;
--   slack       people's messages and thread replies in the incident channel (a broadcast reply once;
--               no joins, no bots);
--   zoom        a join and a leave per participant row of the incident's call instances;
--   pagerduty   the log entries of the linked PagerDuty incident.
-- `detail` never holds Slack message text (it is not exported unless asked for).
with

people as (

    select distinct person_email
    from {{ ref('int_person_tool_accounts') }}
    where is_person

),

-- An update's author is named only when a person of the organisation's directories.
updates as (

    select
        sequenced.*,
        people.person_email as updater_person_email
    from {{ ref('int_incident_updates_sequenced') }} as sequenced
    left join people
        on sequenced.updater_email = people.person_email

),

slack_messages as (

    select * from {{ ref('int_slack_incident_messages') }}

),

zoom_links as (

    select * from {{ ref('int_incident_zoom_instances') }}

),

-- Time in the call only (no waiting room, nothing deleted), with who each participant is.
zoom_attendance as (

    select * from {{ ref('int_zoom_call_attendance') }}

),

pagerduty_links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}
    where deleted_at is null

),

pagerduty_accounts as (

    select
        tool_user_id as pagerduty_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'pagerduty' and is_person

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
        updater_person_email as person_email,
        false as is_external,
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
        is_external,
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
        zoom_attendance.participant_join_id,
        zoom_attendance.person_email,
        zoom_attendance.is_external,
        zoom_attendance.participant_name,
        zoom_attendance.joined_at,
        zoom_attendance.left_at,
        zoom_attendance.is_leave_unknown
    from zoom_attendance
    inner join zoom_links
        on zoom_attendance.meeting_uuid = zoom_links.meeting_uuid

),

zoom_events as (

    select
        incident_id,
        'zoom' as source,
        participant_join_id || ':join' as event_id,
        'join' as event_type,
        person_email,
        is_external,
        coalesce(participant_name, 'participant') || ' joined the call' as detail,
        joined_at as occurred_at
    from zoom_rows

    union all

    -- A row with neither leave_time nor duration has no leave event.
    select
        incident_id,
        'zoom' as source,
        participant_join_id || ':leave' as event_id,
        'leave' as event_type,
        person_email,
        is_external,
        coalesce(participant_name, 'participant') || ' left the call' as detail,
        left_at as occurred_at
    from zoom_rows
    where not is_leave_unknown

),

pagerduty_events as (

    select
        pagerduty_links.incident_id,
        'pagerduty' as source,
        log_entries.log_entry_id as event_id,
        log_entries.log_entry_type as event_type,
        pagerduty_accounts.person_email,
        false as is_external,
        coalesce(log_entries.summary, log_entries.log_entry_type)
        || coalesce(' (' || coalesce(log_entries.notification_method, log_entries.channel_type) || ')', '') as detail,
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

        ---------- booleans
        -- Someone outside the organisation's directories (a guest, a Slack Connect user, a dial-in):
        -- shown here, never credited in per-person metrics; `person_email` is then null.
        coalesce(is_external, false) as is_external,

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
