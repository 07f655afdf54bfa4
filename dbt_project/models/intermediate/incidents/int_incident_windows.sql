-- One row per incident: the ledger's `reported_at` and `resolved_at` (docs/metrics.md#incident-timestamps, the same
-- definitions as fct_incidents, which a singular test reconciles) and the window in which the
-- incident's calls are looked for (docs/metrics.md#linking-the-tools): from one hour before
-- `reported_at` to one hour after `closed_at`, else `resolved_at`, else the build time (macro build_time).
with

incidents as (

    select * from {{ ref('stg_incidentio__incidents') }}
    where deleted_at is null

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
        coalesce(timestamps.reported_at, incidents.record_reported_at, incidents.created_at) as reported_at,
        case
            when timestamps.reported_at is not null then 'timestamp'
            when incidents.record_reported_at is not null then 'record_reported_at'
            when incidents.created_at is not null then 'created_at'
        end as reported_at_source,
        coalesce(timestamps.resolved_at, resolution_from_updates.resolved_by_update_at) as resolved_at,
        case
            when timestamps.resolved_at is not null then 'timestamp'
            when resolution_from_updates.resolved_by_update_at is not null then 'status_update'
        end as resolved_at_source,
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
        reported_at_source,
        resolved_at,
        resolved_at_source,
        closed_at,
        {{ add_seconds('reported_at', -3600) }} as call_window_start_at,
        {{ add_seconds('coalesce(closed_at, resolved_at, ' ~ build_time() ~ ')', 3600) }} as call_window_end_at
    from joined

)

select * from final
