-- One row per person × UTC clock hour with work in it: the minutes of every incident's work stretches
-- that fall in that hour, added up across incidents and capped at 60 (docs/metrics.md#workload: no person is
-- credited more than 60 minutes in any clock hour across incidents). Clock hours are UTC hours.
with

work_intervals as (

    select * from {{ ref('int_responder_work_intervals') }}
    where ended_at > started_at

),

hourly_pieces as (

    select
        work_intervals.person_email,
        work_intervals.incident_id,
        hours.hour_start,
        greatest(work_intervals.started_at, hours.hour_start) as piece_start_at,
        least(work_intervals.ended_at, {{ add_seconds('hours.hour_start', 3600) }}) as piece_end_at
    from work_intervals
    {{ clock_hours('work_intervals.started_at', 'work_intervals.ended_at', 'hours') }}

),

per_hour as (

    select
        person_email,
        hour_start,
        count(distinct incident_id) as incident_count,
        sum({{ seconds_between('piece_start_at', 'piece_end_at') }}) / 60.0 as uncapped_minutes
    from hourly_pieces
    group by person_email, hour_start

),

final as (

    select
        person_email,
        hour_start,
        cast(incident_count as integer) as incident_count,
        uncapped_minutes,
        least(uncapped_minutes, 60.0) as workload_minutes
    from per_hour

)

select * from final
