-- Follow-up completion per month of creation (UTC) × priority. The completion rate is completed ÷
-- (completed + outstanding + not doing): deleted follow-ups are left out of the denominator, a
-- "not doing" decision counts as not completed. Time to complete (median with its 95% confidence
-- interval, p90) is over completed follow-ups; the open age over those still outstanding, as of the build.
with

follow_ups as (

    select
        *,
        {{ utc_month('created_at') }} as month
    from {{ ref('fct_follow_ups') }}

),

monthly as (

    select
        month,
        priority_name,
        max(priority_rank) as priority_rank,
        count(*) as follow_up_count,
        sum(case when status = 'completed' then 1 else 0 end) as completed_count,
        sum(case when status = 'outstanding' then 1 else 0 end) as open_count,
        sum(case when status = 'not_doing' then 1 else 0 end) as not_doing_count,
        sum(case when status = 'deleted' then 1 else 0 end) as deleted_count,
        {{ percentile_cont('seconds_to_complete', 0.5) }} as median_seconds_to_complete,
        {{ percentile_cont('seconds_to_complete', 0.9) }} as p90_seconds_to_complete,
        {{ percentile_cont('open_age_seconds', 0.5) }} as median_open_age_seconds,
        max(open_age_seconds) as max_open_age_seconds
    from follow_ups
    group by month, priority_name

),

completion_bounds as (

    {{ median_ci_bounds('follow_ups', ['month', 'priority_name'], 'seconds_to_complete') }}

),

final as (

    select
        cast(monthly.month as date) as month,
        cast(monthly.priority_name as varchar) as priority_name,
        cast(monthly.priority_rank as integer) as priority_rank,
        cast(monthly.follow_up_count as integer) as follow_up_count,
        cast(monthly.completed_count as integer) as completed_count,
        cast(monthly.open_count as integer) as open_count,
        cast(monthly.not_doing_count as integer) as not_doing_count,
        cast(monthly.deleted_count as integer) as deleted_count,
        cast(
            case
                when monthly.follow_up_count - monthly.deleted_count > 0
                    then 1.0 * monthly.completed_count / (monthly.follow_up_count - monthly.deleted_count)
            end as double precision
        ) as completion_rate,
        cast({{ round_double('monthly.median_seconds_to_complete', 6) }} as double precision)
            as median_seconds_to_complete,
        cast({{ round_double('completion_bounds.median_ci_lower', 6) }} as double precision)
            as median_seconds_to_complete_ci_lower,
        cast({{ round_double('completion_bounds.median_ci_upper', 6) }} as double precision)
            as median_seconds_to_complete_ci_upper,
        cast({{ round_double('monthly.p90_seconds_to_complete', 6) }} as double precision) as p90_seconds_to_complete,
        cast({{ round_double('monthly.median_open_age_seconds', 6) }} as double precision) as median_open_age_seconds,
        cast({{ round_double('monthly.max_open_age_seconds', 6) }} as double precision) as max_open_age_seconds
    from monthly
    left join completion_bounds
        on
            monthly.month = completion_bounds.month
            and monthly.priority_name is not distinct from completion_bounds.priority_name

)

select * from final
