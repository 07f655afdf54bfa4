-- MTTA and MTTR of PagerDuty incidents per month of `created_at` (UTC) × service × urgency, by
-- PagerDuty's own definitions (docs/metrics.md#pagerduty-response): time to the first acknowledgement
-- and time to resolve, each as mean, median (with its distribution-free 95% confidence interval) and
-- p90 over the incidents that have one. Every PagerDuty incident counts, linked to incident.io or not.
with

pagerduty_incidents as (

    select
        *,
        {{ utc_month('created_at') }} as month
    from {{ ref('fct_pagerduty_incidents') }}

),

monthly as (

    select
        month,
        service_name,
        urgency,
        count(*) as incident_count,
        count(seconds_to_first_ack) as acknowledged_count,
        count(seconds_to_resolve) as resolved_count,
        sum(escalation_count) as escalation_count,
        sum(interruption_count) as interruption_count,
        sum(sleep_hour_interruption_count) as sleep_hour_interruption_count,
        avg(seconds_to_first_ack) as mtta_mean_seconds,
        {{ percentile_cont('seconds_to_first_ack', 0.5) }} as mtta_median_seconds,
        {{ percentile_cont('seconds_to_first_ack', 0.9) }} as mtta_p90_seconds,
        avg(seconds_to_resolve) as mttr_mean_seconds,
        {{ percentile_cont('seconds_to_resolve', 0.5) }} as mttr_median_seconds,
        {{ percentile_cont('seconds_to_resolve', 0.9) }} as mttr_p90_seconds
    from pagerduty_incidents
    group by month, service_name, urgency

),

ack_bounds as (

    {{ median_ci_bounds('pagerduty_incidents', ['month', 'service_name', 'urgency'], 'seconds_to_first_ack') }}

),

resolve_bounds as (

    {{ median_ci_bounds('pagerduty_incidents', ['month', 'service_name', 'urgency'], 'seconds_to_resolve') }}

),

joined as (

    select
        monthly.*,
        ack_bounds.median_ci_lower as mtta_median_ci_lower_seconds,
        ack_bounds.median_ci_upper as mtta_median_ci_upper_seconds,
        resolve_bounds.median_ci_lower as mttr_median_ci_lower_seconds,
        resolve_bounds.median_ci_upper as mttr_median_ci_upper_seconds
    from monthly
    left join ack_bounds
        on
            monthly.month = ack_bounds.month
            and monthly.service_name is not distinct from ack_bounds.service_name
            and monthly.urgency is not distinct from ack_bounds.urgency
    left join resolve_bounds
        on
            monthly.month = resolve_bounds.month
            and monthly.service_name is not distinct from resolve_bounds.service_name
            and monthly.urgency is not distinct from resolve_bounds.urgency

),

final as (

    select
        cast(month as date) as month,
        cast(service_name as varchar) as service_name,
        cast(urgency as varchar) as urgency,
        cast(incident_count as integer) as incident_count,
        cast(acknowledged_count as integer) as acknowledged_count,
        cast(resolved_count as integer) as resolved_count,
        cast(escalation_count as integer) as escalation_count,
        cast(interruption_count as integer) as interruption_count,
        cast(sleep_hour_interruption_count as integer) as sleep_hour_interruption_count,
        cast({{ round_double('mtta_mean_seconds', 6) }} as double precision) as mtta_mean_seconds,
        cast({{ round_double('mtta_median_seconds', 6) }} as double precision) as mtta_median_seconds,
        cast({{ round_double('mtta_median_ci_lower_seconds', 6) }} as double precision) as mtta_median_ci_lower_seconds,
        cast({{ round_double('mtta_median_ci_upper_seconds', 6) }} as double precision) as mtta_median_ci_upper_seconds,
        cast({{ round_double('mtta_p90_seconds', 6) }} as double precision) as mtta_p90_seconds,
        cast({{ round_double('mttr_mean_seconds', 6) }} as double precision) as mttr_mean_seconds,
        cast({{ round_double('mttr_median_seconds', 6) }} as double precision) as mttr_median_seconds,
        cast({{ round_double('mttr_median_ci_lower_seconds', 6) }} as double precision) as mttr_median_ci_lower_seconds,
        cast({{ round_double('mttr_median_ci_upper_seconds', 6) }} as double precision) as mttr_median_ci_upper_seconds,
        cast({{ round_double('mttr_p90_seconds', 6) }} as double precision) as mttr_p90_seconds
    from joined

)

select * from final
