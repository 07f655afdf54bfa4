-- One row per period an incident spent at one severity, from its updates' severity history:
-- consecutive updates with the same severity form one period. The first period starts at
-- `reported_at` (the severity the incident was declared with is the first one its updates show);
-- each later period starts at the update that changed the severity; a period ends where the next
-- begins. Time at a severity counts while the incident is open: periods are clipped to
-- [reported_at, resolved_at]; an incident not yet resolved has its last period open (null end).
with

updates as (

    select * from {{ ref('int_incident_updates_sequenced') }}
    where new_severity_name is not null

),

windows as (

    select * from {{ ref('int_incident_windows') }}

),

changes as (

    select
        incident_id,
        incident_update_id,
        update_number,
        new_severity_id as severity_id,
        new_severity_name as severity_name,
        new_severity_rank as severity_rank,
        created_at,
        lag(new_severity_name) over (
            partition by incident_id order by update_number
        ) as previous_severity_name
    from updates

),

period_starts as (

    select
        incident_id,
        incident_update_id as starting_update_id,
        severity_id,
        severity_name,
        severity_rank,
        created_at as changed_at,
        row_number() over (partition by incident_id order by update_number) as period_number
    from changes
    where previous_severity_name is null or previous_severity_name <> severity_name

),

bounded as (

    select
        period_starts.incident_id,
        period_starts.period_number,
        period_starts.starting_update_id,
        period_starts.severity_id,
        period_starts.severity_name,
        period_starts.severity_rank,
        case
            when period_starts.period_number = 1
                then least(windows.reported_at, period_starts.changed_at)
            else period_starts.changed_at
        end as started_at,
        lead(period_starts.changed_at) over (
            partition by period_starts.incident_id order by period_starts.period_number
        ) as ended_at,
        windows.reported_at,
        windows.resolved_at
    from period_starts
    inner join windows
        on period_starts.incident_id = windows.incident_id

),

clipped as (

    select
        *,
        greatest(started_at, reported_at) as clipped_start_at,
        case
            when ended_at is null then resolved_at
            when resolved_at is null then ended_at
            else least(ended_at, resolved_at)
        end as clipped_end_at
    from bounded

),

final as (

    select
        incident_id,
        cast(period_number as integer) as period_number,
        starting_update_id,
        severity_id,
        severity_name,
        severity_rank,
        started_at,
        ended_at,
        case
            when clipped_end_at is null then null
            when clipped_end_at <= clipped_start_at then 0.0
            else {{ seconds_between('clipped_start_at', 'clipped_end_at') }}
        end as seconds_at_severity,
        ended_at is null as is_current
    from clipped

)

select * from final
