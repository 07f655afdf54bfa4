-- One row per incident that was ever moved into status category `learning` or `closed`: the first
-- such update (earliest `created_at`, ties broken by update id). This is the fallback for
-- `resolved_at` when the incident has no "Resolved at" timestamp (docs/metrics.md#incident-timestamps).
-- An incident that was reopened afterwards keeps its first resolution.
with

updates as (

    select * from {{ ref('stg_incidentio__incident_updates') }}
    where deleted_at is null

),

resolving_updates as (

    select
        incident_id,
        incident_update_id,
        new_status_name,
        new_status_category,
        created_at,
        row_number() over (
            partition by incident_id
            order by created_at asc, incident_update_id asc
        ) as resolution_order
    from updates
    where new_status_category in ('learning', 'closed')

),

first_resolution as (

    select
        incident_id,
        incident_update_id as resolving_update_id,
        new_status_name as resolving_status_name,
        new_status_category as resolving_status_category,
        created_at as resolved_by_update_at
    from resolving_updates
    where resolution_order = 1

)

select * from first_resolution
