-- No duration or duration statistic in the marts is negative: an end before its start must have
-- become a null duration (and a flag), never a negative number that would drag a mean down.
with

incident_durations as (

    select
        'fct_incidents' as model_name,
        incident_id as row_key,
        least(
            coalesce(time_to_resolve_seconds, 0),
            coalesce(time_to_mitigate_seconds, 0)
        ) as smallest_value
    from {{ ref('fct_incidents') }}

),

mttr_statistics as (

    select
        'metrics_mttr' as model_name,
        cast(month as varchar) || ' / ' || coalesce(severity_name, '(none)') as row_key,
        least(
            coalesce(mttr_mean_seconds, 0),
            coalesce(mttr_median_seconds, 0),
            coalesce(mttr_p90_seconds, 0)
        ) as smallest_value
    from {{ ref('metrics_mttr') }}

),

pagerduty_durations as (

    select
        'fct_pagerduty_incidents' as model_name,
        pagerduty_incident_id as row_key,
        least(coalesce(seconds_to_first_ack, 0), coalesce(seconds_to_resolve, 0)) as smallest_value
    from {{ ref('fct_pagerduty_incidents') }}

),

pagerduty_statistics as (

    select
        'metrics_pagerduty_response' as model_name,
        cast(month as varchar) || ' / ' || coalesce(service_name, '') || ' / ' || coalesce(urgency, '') as row_key,
        least(
            coalesce(mtta_mean_seconds, 0), coalesce(mtta_median_ci_lower_seconds, 0), coalesce(mtta_p90_seconds, 0),
            coalesce(mttr_mean_seconds, 0), coalesce(mttr_median_ci_lower_seconds, 0), coalesce(mttr_p90_seconds, 0)
        ) as smallest_value
    from {{ ref('metrics_pagerduty_response') }}

),

response_durations as (

    select
        'fct_incident_response' as model_name,
        incident_id as row_key,
        least(
            coalesce(seconds_to_first_update, 0),
            coalesce(mean_seconds_between_updates, 0),
            coalesce(seconds_to_lead_engaged, 0)
        ) as smallest_value
    from {{ ref('fct_incident_response') }}

),

severity_durations as (

    select
        'fct_incident_severity_periods' as model_name,
        incident_id || ' / ' || cast(period_number as varchar) as row_key,
        coalesce(seconds_at_severity, 0) as smallest_value
    from {{ ref('fct_incident_severity_periods') }}

),

follow_up_durations as (

    select
        'fct_follow_ups' as model_name,
        follow_up_id as row_key,
        least(coalesce(seconds_to_complete, 0), coalesce(open_age_seconds, 0)) as smallest_value
    from {{ ref('fct_follow_ups') }}

),

workload_minutes as (

    select
        'metrics_responder_workload' as model_name,
        person_email || ' / ' || cast(week as varchar) as row_key,
        least(zoom_minutes, workload_minutes) as smallest_value
    from {{ ref('metrics_responder_workload') }}

),

all_values as (

    select * from incident_durations
    union all
    select * from mttr_statistics
    union all
    select * from pagerduty_durations
    union all
    select * from pagerduty_statistics
    union all
    select * from response_durations
    union all
    select * from severity_durations
    union all
    select * from follow_up_durations
    union all
    select * from workload_minutes

)

select * from all_values
where smallest_value < 0
