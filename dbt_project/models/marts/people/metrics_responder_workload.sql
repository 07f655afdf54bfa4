-- Responder workload per person × ISO week (Monday, UTC) (docs/metrics.md#workload):
--   incident_count         incident.io incidents the person was active in that week (a message, an
--                          update, an acknowledgement of the linked page, or time in the call);
--   slack_message_count    their messages and thread replies in incident channels (no joins, no bots);
--   zoom_minutes           their time in incident calls, rejoins merged (seconds / 60), in the week
--                          they joined;
--   page_count             their interruptions (PagerDuty's definition: push, phone or SMS, one per
--                          60 s per incident), from every PagerDuty incident, linked or not;
--   sleep_hour_page_count  those between 22:00 and 08:00 in their PagerDuty time zone;
--   workload_minutes       incident.io's 10/20/60-minute rule (int_responder_work_intervals,
--                          int_responder_hourly_workload), by the week of each UTC clock hour.
with

activities as (

    select * from {{ ref('int_responder_activities') }}

),

slack_messages as (

    select * from {{ ref('int_slack_incident_messages') }}
    where person_email is not null

),

zoom_participation as (

    select * from {{ ref('int_zoom_participation_merged') }}
    where person_email is not null

),

zoom_links as (

    select distinct meeting_uuid from {{ ref('int_incident_zoom_instances') }}

),

interruptions as (

    select * from {{ ref('int_pagerduty_interruptions') }}
    where person_email is not null

),

hourly_workload as (

    select * from {{ ref('int_responder_hourly_workload') }}

),

weekly_incidents as (

    select
        person_email,
        {{ utc_week('started_at') }} as week,
        count(distinct incident_id) as incident_count
    from activities
    group by 1, 2

),

weekly_messages as (

    select
        person_email,
        {{ utc_week('posted_at') }} as week,
        count(distinct message_id) as slack_message_count
    from slack_messages
    group by 1, 2

),

weekly_zoom as (

    select
        zoom_participation.person_email,
        {{ utc_week('zoom_participation.first_joined_at') }} as week,
        sum(zoom_participation.participant_seconds) / 60.0 as zoom_minutes
    from zoom_participation
    inner join zoom_links
        on zoom_participation.meeting_uuid = zoom_links.meeting_uuid
    group by 1, 2

),

weekly_pages as (

    select
        person_email,
        {{ utc_week('interrupted_at') }} as week,
        count(*) as page_count,
        sum(case when is_sleep_hour then 1 else 0 end) as sleep_hour_page_count
    from interruptions
    group by 1, 2

),

weekly_workload as (

    select
        person_email,
        {{ utc_week('hour_start') }} as week,
        sum(workload_minutes) as workload_minutes,
        sum(uncapped_minutes) as uncapped_workload_minutes
    from hourly_workload
    group by 1, 2

),

person_weeks as (

    select
        person_email,
        week
    from weekly_incidents
    union
    select
        person_email,
        week
    from weekly_messages
    union
    select
        person_email,
        week
    from weekly_zoom
    union
    select
        person_email,
        week
    from weekly_pages
    union
    select
        person_email,
        week
    from weekly_workload

),

final as (

    select
        cast(person_weeks.person_email as varchar) as person_email,
        cast(person_weeks.week as date) as week,
        cast(coalesce(weekly_incidents.incident_count, 0) as integer) as incident_count,
        cast(coalesce(weekly_messages.slack_message_count, 0) as integer) as slack_message_count,
        cast({{ round_double('coalesce(weekly_zoom.zoom_minutes, 0)', 6) }} as double precision) as zoom_minutes,
        cast(coalesce(weekly_pages.page_count, 0) as integer) as page_count,
        cast(coalesce(weekly_pages.sleep_hour_page_count, 0) as integer) as sleep_hour_page_count,
        cast({{ round_double('coalesce(weekly_workload.workload_minutes, 0)', 6) }} as double precision)
            as workload_minutes,
        cast({{ round_double('coalesce(weekly_workload.uncapped_workload_minutes, 0)', 6) }} as double precision)
            as uncapped_workload_minutes
    from person_weeks
    left join weekly_incidents
        on person_weeks.person_email = weekly_incidents.person_email and person_weeks.week = weekly_incidents.week
    left join weekly_messages
        on person_weeks.person_email = weekly_messages.person_email and person_weeks.week = weekly_messages.week
    left join weekly_zoom
        on person_weeks.person_email = weekly_zoom.person_email and person_weeks.week = weekly_zoom.week
    left join weekly_pages
        on person_weeks.person_email = weekly_pages.person_email and person_weeks.week = weekly_pages.week
    left join weekly_workload
        on person_weeks.person_email = weekly_workload.person_email and person_weeks.week = weekly_workload.week

)

select * from final
