-- No duration or duration statistic in the marts is negative: an end before its start must have
-- become a null duration (and a flag) in fct_incidents, never a negative number that would drag
-- a mean down.
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

all_values as (

    select * from incident_durations
    union all
    select * from mttr_statistics

)

select * from all_values
where smallest_value < 0
