-- One row per incident × Zoom meeting instance of its call (docs/metrics.md#linking-the-tools): the
-- instances of the meeting in the incident's `call_url` that started between one hour before
-- `reported_at` and one hour after `closed_at`, else `resolved_at`, else now. A meeting reused days
-- away is not the incident's call.
with

windows as (

    select * from {{ ref('int_incident_windows') }}
    where zoom_meeting_id is not null

),

instances as (

    select * from {{ ref('stg_zoom__meeting_instances') }}
    where deleted_at is null

),

linked as (

    select
        windows.incident_id,
        instances.meeting_uuid,
        instances.meeting_id,
        instances.started_at
    from windows
    inner join instances
        on windows.zoom_meeting_id = instances.meeting_id
    where
        instances.started_at >= windows.call_window_start_at
        and instances.started_at <= windows.call_window_end_at

)

select * from linked
