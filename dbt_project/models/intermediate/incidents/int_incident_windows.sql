-- One row per incident: the ledger's `reported_at` and `resolved_at` (DESIGN §5, the same
-- definitions as fct_incidents, which a singular test reconciles) and the window in which the
-- incident's calls are looked for (DESIGN §5b): from one hour before `reported_at` to one hour after
-- `closed_at`, else `resolved_at`, else now.
with

incidents as (

    select * from {{ ref('stg_incidentio__incidents') }}

),

timestamps as (

    select * from {{ ref('int_incident_timestamps_pivoted') }}

),

resolution_from_updates as (

    select * from {{ ref('int_incident_resolution_from_updates') }}

),

joined as (

    select
        incidents.incident_id,
        incidents.slack_channel_id,
        incidents.zoom_meeting_id,
        coalesce(timestamps.reported_at, incidents.created_at) as reported_at,
        coalesce(timestamps.resolved_at, resolution_from_updates.resolved_by_update_at) as resolved_at,
        timestamps.closed_at
    from incidents
    left join timestamps
        on incidents.incident_id = timestamps.incident_id
    left join resolution_from_updates
        on incidents.incident_id = resolution_from_updates.incident_id

),

final as (

    select
        incident_id,
        slack_channel_id,
        zoom_meeting_id,
        reported_at,
        resolved_at,
        closed_at,
        {{ add_seconds('reported_at', -3600) }} as call_window_start_at,
        {{ add_seconds('coalesce(closed_at, resolved_at, current_timestamp)', 3600) }} as call_window_end_at
    from joined

)

select * from final
