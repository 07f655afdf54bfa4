-- Post-incident learning per month of `resolved_at` (UTC) × severity (docs/metrics.md#post-mortems),
-- over `is_in_metrics` incidents with a `resolved_at`:
--   resolved_count                         those incidents;
--   postmortem_count                       those with at least one post-mortem document;
--   postmortem_completed_count             those with a completed one;
--   median_hours_to_postmortem_completed   median of (earliest `completed_at` − `resolved_at`) in hours,
--                                          leaving out incidents whose earliest completion comes before
--                                          their resolution (counted in
--                                          postmortem_completed_before_resolved_count);
--   follow_up_count                        their follow-ups of every status;
--   follow_up_completed_count              those with status `completed`;
--   median_days_to_follow_up_completed     median of (`completed_at` − `created_at`) in days over the
--                                          completed follow-ups (fct_follow_ups.seconds_to_complete).
-- Medians interpolate linearly between ranks; incidents without a severity form their own group.
with

incidents as (

    select
        incident_id,
        severity_name,
        severity_rank,
        resolved_at,
        {{ utc_month('resolved_at') }} as month
    from {{ ref('fct_incidents') }}
    where is_in_metrics and resolved_at is not null

),

postmortems as (

    select
        incident_id,
        count(*) as document_count,
        count(completed_at) as completed_document_count,
        min(completed_at) as earliest_completed_at
    from {{ ref('fct_postmortems') }}
    group by incident_id

),

incident_postmortems as (

    select
        incidents.*,
        coalesce(postmortems.document_count, 0) as document_count,
        coalesce(postmortems.completed_document_count, 0) as completed_document_count,
        postmortems.earliest_completed_at < incidents.resolved_at as is_completed_before_resolved,
        case
            when postmortems.earliest_completed_at >= incidents.resolved_at
                then {{ seconds_between('incidents.resolved_at', 'postmortems.earliest_completed_at') }} / 3600.0
        end as hours_to_postmortem_completed
    from incidents
    left join postmortems
        on incidents.incident_id = postmortems.incident_id

),

follow_ups as (

    select
        incidents.month,
        incidents.severity_name,
        follow_ups.status,
        case
            when follow_ups.status = 'completed' then follow_ups.seconds_to_complete / 86400.0
        end as days_to_complete
    from {{ ref('fct_follow_ups') }} as follow_ups
    inner join incidents
        on follow_ups.incident_id = incidents.incident_id

),

monthly_incidents as (

    select
        month,
        severity_name,
        max(severity_rank) as severity_rank,
        count(*) as resolved_count,
        sum(case when document_count > 0 then 1 else 0 end) as postmortem_count,
        sum(case when completed_document_count > 0 then 1 else 0 end) as postmortem_completed_count,
        sum(case when is_completed_before_resolved then 1 else 0 end) as postmortem_completed_before_resolved_count,
        {{ percentile_cont('hours_to_postmortem_completed', 0.5) }} as median_hours_to_postmortem_completed
    from incident_postmortems
    group by month, severity_name

),

monthly_follow_ups as (

    select
        month,
        severity_name,
        count(*) as follow_up_count,
        sum(case when status = 'completed' then 1 else 0 end) as follow_up_completed_count,
        {{ percentile_cont('days_to_complete', 0.5) }} as median_days_to_follow_up_completed
    from follow_ups
    group by month, severity_name

),

final as (

    select
        cast(monthly_incidents.month as date) as month,
        cast(monthly_incidents.severity_name as varchar) as severity_name,
        cast(monthly_incidents.severity_rank as integer) as severity_rank,
        cast(monthly_incidents.resolved_count as integer) as resolved_count,
        cast(monthly_incidents.postmortem_count as integer) as postmortem_count,
        cast(monthly_incidents.postmortem_completed_count as integer) as postmortem_completed_count,
        cast(monthly_incidents.postmortem_completed_before_resolved_count as integer)
            as postmortem_completed_before_resolved_count,
        cast({{ round_double('monthly_incidents.median_hours_to_postmortem_completed', 9) }} as double precision)
            as median_hours_to_postmortem_completed,
        cast(coalesce(monthly_follow_ups.follow_up_count, 0) as integer) as follow_up_count,
        cast(coalesce(monthly_follow_ups.follow_up_completed_count, 0) as integer) as follow_up_completed_count,
        cast({{ round_double('monthly_follow_ups.median_days_to_follow_up_completed', 9) }} as double precision)
            as median_days_to_follow_up_completed
    from monthly_incidents
    left join monthly_follow_ups
        on
            monthly_incidents.month = monthly_follow_ups.month
            and monthly_incidents.severity_name is not distinct from monthly_follow_ups.severity_name

)

select * from final
