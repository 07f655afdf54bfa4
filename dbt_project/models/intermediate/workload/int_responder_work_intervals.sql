-- One row per stretch of continuous work of a person on an incident, by incident.io's workload rule
-- (docs/metrics.md#workload, made explicit):
--   * an instant activity (message, update, acknowledgement) earns 10 minutes from its time;
--   * a Zoom stretch earns its real length;
--   * when the person's next activity on the same incident starts within 20 minutes of this one's
--     end, the time in between is continuous work (10:11 message, 10:15 update: 4 + 10 = 14 min);
--   * what overlaps is counted once (the stretches are merged).
-- The 60-minutes-per-clock-hour cap across incidents is applied in int_responder_hourly_workload.
with

activities as (

    select * from {{ ref('int_responder_activities') }}

),

next_activity as (

    select
        person_email,
        incident_id,
        activity_id,
        started_at,
        ended_at,
        is_interval,
        lead(started_at) over (
            partition by person_email, incident_id
            order by started_at, activity_id
        ) as next_started_at
    from activities

),

credited as (

    select
        person_email,
        incident_id,
        started_at,
        case
            when
                next_started_at is not null
                and {{ seconds_between('ended_at', 'next_started_at') }} <= 1200
                and next_started_at > (
                    case when is_interval then ended_at else {{ add_seconds('ended_at', 600) }} end
                )
                then next_started_at
            when is_interval then ended_at
            else {{ add_seconds('ended_at', 600) }}
        end as credited_until
    from next_activity

),

ordered as (

    select
        *,
        max(credited_until) over (
            partition by person_email, incident_id
            order by started_at, credited_until
            rows between unbounded preceding and 1 preceding
        ) as previous_until
    from credited

),

islands as (

    select
        *,
        sum(case when previous_until is null or started_at > previous_until then 1 else 0 end) over (
            partition by person_email, incident_id
            order by started_at, credited_until
            rows between unbounded preceding and current row
        ) as interval_number
    from ordered

),

merged as (

    select
        person_email,
        incident_id,
        cast(interval_number as integer) as interval_number,
        min(started_at) as started_at,
        max(credited_until) as ended_at,
        cast(count(*) as integer) as activity_count
    from islands
    group by person_email, incident_id, interval_number

)

select * from merged
