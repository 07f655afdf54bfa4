-- One row per span of time a person was on call, as of the build (docs/metrics.md#on-call-burden): the
-- union of their shifts of both tools, each counted from start_at to counted_end_at, so two rotas at
-- once (or a PagerDuty and an incident.io shift over the same hours) count once. Shifts that touch
-- (one ends when the next starts) merge into one span. Both windows order by the same total order
-- (shift_id breaks ties): two shifts with equal times ordered differently by the two windows would
-- glue the later of them to the span before the gap.
with

shifts as (

    select
        shift_id,
        person_email,
        timezone,
        start_at,
        counted_end_at as end_at
    from {{ ref('int_oncall_shifts') }}
    where person_email is not null and counted_end_at > start_at

),

ordered as (

    select
        *,
        max(end_at) over (
            partition by person_email
            order by start_at, end_at, shift_id
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_at
    from shifts

),

islands as (

    select
        *,
        sum(case when previous_max_end_at >= start_at then 0 else 1 end) over (
            partition by person_email
            order by start_at, end_at, shift_id
            rows between unbounded preceding and current row
        ) as span_number
    from ordered

),

final as (

    select
        person_email || ':' || cast(span_number as varchar) as coverage_span_id,
        person_email,
        min(timezone) as timezone,
        cast(span_number as integer) as span_number,
        min(start_at) as start_at,
        max(end_at) as end_at
    from islands
    group by person_email, span_number

)

select * from final
