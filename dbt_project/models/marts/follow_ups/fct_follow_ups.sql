-- One row per incident follow-up (docs/contract.md#marts), with its age: how long it took to complete, or how long
-- it has been open. Follow-ups with status `deleted` are kept but not counted as open; follow-ups
-- gone from the source (`deleted_at`, marked by the connector) are left out.
-- `completed_at` is derived when the record lacks it: a follow-up whose status is `completed` without a
-- completion time takes its `updated_at` (the last change, which is at or after the completion);
-- `completed_at_source` says which (counted in metrics_data_coverage).
with

follow_ups as (

    select * from {{ ref('stg_incidentio__follow_ups') }}
    where deleted_at is null

),

derived as (

    select
        *,
        case
            when completed_at is not null then completed_at
            when follow_up_status = 'completed' then updated_at
        end as derived_completed_at,
        case
            when completed_at is not null then 'completed_at'
            when follow_up_status = 'completed' and updated_at is not null then 'updated_at'
        end as completed_at_source
    from follow_ups

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
        cast(completed_at_source as varchar) as completed_at_source,

        ---------- numerics
        cast(priority_rank as integer) as priority_rank,
        cast(
            case
                when derived_completed_at >= created_at then {{ seconds_between('created_at', 'derived_completed_at') }}
            end as double precision
        ) as seconds_to_complete,
        cast(
            case
                -- Up to the build's one instant (macro build_time), as the on-call hours.
                when follow_up_status = 'outstanding' and {{ build_time() }} >= created_at
                    then {{ seconds_between('created_at', build_time()) }}
            end as double precision
        ) as open_age_seconds,

        ---------- booleans
        follow_up_status = 'completed' as is_completed,
        follow_up_status = 'outstanding' as is_open,

        ---------- timestamps
        cast(created_at as timestamptz) as created_at,
        cast(derived_completed_at as timestamptz) as completed_at,
        cast(updated_at as timestamptz) as updated_at

    from derived

)

select * from final
