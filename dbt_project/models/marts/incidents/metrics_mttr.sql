-- Mean time to resolve per month of `reported_at` (UTC) × severity (docs/metrics.md#mttr): only incidents with
-- `is_in_metrics`; mean, median and p90 side by side, over the non-null `time_to_resolve_seconds`
-- (unresolved incidents and invalid durations have none). Incidents without a severity form their
-- own group with `severity_name` null. Statistics are rounded to the microsecond, the precision of
-- the timestamps, so float noise (790.0000000000002) does not leak out. Next to the median, its
-- distribution-free 95% confidence interval from order statistics (macros/median_confidence.sql).
-- The rule itself (which incidents, which month, the statistics) lives in macros/mttr.sql, shared
-- with metrics_mttr_by_team.
with

incidents as (

    {{ mttr_incidents() }}

),

monthly as (

    select
        month,
        severity_name,
        max(severity_rank) as severity_rank,
        {{ mttr_aggregates() }}
    from incidents
    group by month, severity_name

),

median_bounds as (

    {{ median_ci_bounds('incidents', ['month', 'severity_name'], 'time_to_resolve_seconds') }}

),

joined as (

    select
        monthly.*,
        median_bounds.median_ci_lower as median_ci_lower_seconds,
        median_bounds.median_ci_upper as median_ci_upper_seconds
    from monthly
    left join median_bounds
        on
            monthly.month = median_bounds.month
            and monthly.severity_name is not distinct from median_bounds.severity_name

),

final as (

    select
        cast(month as date) as month,
        cast(severity_name as varchar) as severity_name,
        cast(severity_rank as integer) as severity_rank,
        {{ mttr_columns('joined') }},
        cast({{ round_double('median_ci_lower_seconds', 6) }} as double precision) as mttr_median_ci_lower_seconds,
        cast({{ round_double('median_ci_upper_seconds', 6) }} as double precision) as mttr_median_ci_upper_seconds
    from joined

)

select * from final
