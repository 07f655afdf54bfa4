-- One row per activity of a person in an incident (docs/metrics.md#workload): a Slack message or thread
-- reply in the incident channel, an incident update they made, an acknowledgement of the incident's
-- linked PagerDuty incident, and a stretch of time in the incident's Zoom call (rejoins and overlaps
-- merged). Messages, updates and acknowledgements are instants (`ended_at` = `started_at`); Zoom
-- stretches are intervals. Only activities of a known person (an email) count.
with

slack_messages as (

    select * from {{ ref('int_slack_incident_messages') }}

),

updates as (

    select * from {{ ref('stg_incidentio__incident_updates') }}
    where deleted_at is null

),

acknowledgements as (

    select * from {{ ref('int_pagerduty_acknowledgements') }}

),

pagerduty_links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

-- Only people (the organisation's directories) are credited with activity.
people as (

    select distinct person_email
    from {{ ref('int_person_tool_accounts') }}
    where is_person

),

zoom_spans as (

    select * from {{ ref('int_zoom_participation_spans') }}

),

zoom_links as (

    select * from {{ ref('int_incident_zoom_instances') }}

),

activities as (

    select
        person_email,
        incident_id,
        'slack_message' as activity_type,
        message_id as activity_id,
        posted_at as started_at,
        posted_at as ended_at,
        false as is_interval
    from slack_messages
    where person_email is not null

    union all

    select
        people.person_email,
        updates.incident_id,
        'incident_update' as activity_type,
        updates.incident_update_id as activity_id,
        updates.created_at as started_at,
        updates.created_at as ended_at,
        false as is_interval
    from updates
    inner join people
        on updates.updater_email = people.person_email

    union all

    select
        acknowledgements.person_email,
        pagerduty_links.incident_id,
        'pagerduty_acknowledgement' as activity_type,
        acknowledgements.log_entry_id as activity_id,
        acknowledgements.acknowledged_at as started_at,
        acknowledgements.acknowledged_at as ended_at,
        false as is_interval
    from acknowledgements
    inner join pagerduty_links
        on acknowledgements.pagerduty_incident_id = pagerduty_links.pagerduty_incident_id
    where acknowledgements.person_email is not null

    union all

    select
        zoom_spans.person_email,
        zoom_links.incident_id,
        'zoom_participation' as activity_type,
        zoom_spans.meeting_uuid || ':' || zoom_spans.participant_key
        || ':' || cast(zoom_spans.span_number as varchar) as activity_id,
        zoom_spans.joined_at as started_at,
        zoom_spans.left_at as ended_at,
        true as is_interval
    from zoom_spans
    inner join zoom_links
        on zoom_spans.meeting_uuid = zoom_links.meeting_uuid
    where zoom_spans.person_email is not null

)

select * from activities
