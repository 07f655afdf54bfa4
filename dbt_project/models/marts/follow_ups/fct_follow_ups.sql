-- One row per incident follow-up (DESIGN §3), with its age: how long it took to complete, or how long
-- it has been open. Deleted follow-ups are kept (status `deleted`) but not counted as open.
with

follow_ups as (

    select * from {{ ref('stg_incidentio__follow_ups') }}

),

final as (

    select
        ---------- ids
        cast(follow_up_id as varchar) as follow_up_id,
        cast(incident_id as varchar) as incident_id,

        ---------- strings
        cast(title as varchar) as title,
        cast(follow_up_status as varchar) as status,
        cast(priority_name as varchar) as priority_name,
        cast(assignee_email as varchar) as assignee_email,
        cast(creator_email as varchar) as creator_email,
        cast(external_issue_provider as varchar) as external_issue_provider,
        cast(external_issue_name as varchar) as external_issue_name,

        ---------- numerics
        cast(priority_rank as integer) as priority_rank,
        cast(
            case
                when completed_at >= created_at then {{ seconds_between('created_at', 'completed_at') }}
            end as double precision
        ) as seconds_to_complete,
        cast(
            case
                when follow_up_status = 'outstanding' and current_timestamp >= created_at
                    then {{ seconds_between('created_at', 'current_timestamp') }}
            end as double precision
        ) as open_age_seconds,

        ---------- booleans
        follow_up_status = 'completed' as is_completed,
        follow_up_status = 'outstanding' as is_open,

        ---------- timestamps
        cast(created_at as timestamptz) as created_at,
        cast(completed_at as timestamptz) as completed_at,
        cast(updated_at as timestamptz) as updated_at

    from follow_ups

)

select * from final
