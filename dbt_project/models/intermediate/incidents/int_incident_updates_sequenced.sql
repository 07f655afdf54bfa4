-- One row per incident update, numbered in time order (ties by update id), next to the status and
-- severity it moved from: the status and severity history of each incident. The first update has
-- no predecessor: it counts as a status change (it records the status the incident entered) and, when
-- it carries a severity, as a severity change.
with

updates as (

    select * from {{ ref('stg_incidentio__incident_updates') }}
    where deleted_at is null

),

sequenced as (

    select
        incident_update_id,
        incident_id,
        updater_user_id,
        updater_email,
        message,
        new_status_id,
        new_status_name,
        new_status_category,
        new_severity_id,
        new_severity_name,
        new_severity_rank,
        created_at,
        row_number() over (
            partition by incident_id order by created_at asc, incident_update_id asc
        ) as update_number,
        lag(new_status_name) over (
            partition by incident_id order by created_at asc, incident_update_id asc
        ) as previous_status_name,
        lag(new_severity_name) over (
            partition by incident_id order by created_at asc, incident_update_id asc
        ) as previous_severity_name,
        lag(created_at) over (
            partition by incident_id order by created_at asc, incident_update_id asc
        ) as previous_update_at
    from updates

),

flagged as (

    select
        *,
        (
            update_number = 1
            or coalesce(new_status_name, '') <> coalesce(previous_status_name, '')
        ) as is_status_change,
        (
            (update_number = 1 and new_severity_name is not null)
            or (update_number > 1 and coalesce(new_severity_name, '') <> coalesce(previous_severity_name, ''))
        ) as is_severity_change
    from sequenced

)

select * from flagged
