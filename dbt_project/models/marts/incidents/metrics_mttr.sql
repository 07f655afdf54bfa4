-- Mean time to resolve per month of `reported_at` (UTC) × severity (DESIGN §5): only incidents with
-- `is_in_metrics`; mean, median and p90 side by side, over the non-null `time_to_resolve_seconds`
-- (unresolved incidents and invalid durations have none). Incidents without a severity form their
-- own group with `severity_name` null. Statistics are rounded to the microsecond, the precision of
-- the timestamps, so float noise (790.0000000000002) does not leak out.
with

incidents as (

    select * from {{ ref('fct_incidents') }}
    where is_in_metrics

),

monthly as (

    select
        {{ utc_month('reported_at') }} as month,
        severity_name,
        max(severity_rank) as severity_rank,
        count(*) as incident_count,
        count(resolved_at) as resolved_count,
        count(time_to_resolve_seconds) as duration_count,
        sum(case when is_resolve_duration_invalid then 1 else 0 end) as invalid_duration_count,
        avg(time_to_resolve_seconds) as mttr_mean_seconds,
        {{ percentile_cont('time_to_resolve_seconds', 0.5) }} as mttr_median_seconds,
        {{ percentile_cont('time_to_resolve_seconds', 0.9) }} as mttr_p90_seconds
    from incidents
    group by 1, 2

),

final as (

    select
        cast(month as date) as month,
        cast(severity_name as varchar) as severity_name,
        cast(severity_rank as integer) as severity_rank,
        cast(incident_count as integer) as incident_count,
        cast(resolved_count as integer) as resolved_count,
        cast(duration_count as integer) as duration_count,
        cast(invalid_duration_count as integer) as invalid_duration_count,
        cast({{ round_double('mttr_mean_seconds', 6) }} as double precision) as mttr_mean_seconds,
        cast({{ round_double('mttr_median_seconds', 6) }} as double precision) as mttr_median_seconds,
        cast({{ round_double('mttr_p90_seconds', 6) }} as double precision) as mttr_p90_seconds
    from monthly

)

select * from final
