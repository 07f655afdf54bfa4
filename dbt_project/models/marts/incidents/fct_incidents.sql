-- One row per incident.io incident, every mode (docs/contract.md#marts), with the ledger's timestamps and
-- durations (docs/metrics.md#incident-timestamps) and its links to Slack, Zoom and PagerDuty
-- (docs/metrics.md#linking-the-tools).
with

incidents as (

    select * from {{ ref('stg_incidentio__incidents') }}
    where deleted_at is null

),

timestamps as (

    select * from {{ ref('int_incident_timestamps_pivoted') }}

),

-- reported_at and resolved_at have one definition, in int_incident_windows.
ledger_times as (

    select * from {{ ref('int_incident_windows') }}

),

pagerduty_links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

-- docs/metrics.md#time-to-declare: the earliest linked PagerDuty incident or incident.io alert.
first_alerts as (

    select * from {{ ref('int_incident_first_alerts') }}

),

role_assignments as (

    select * from {{ ref('stg_incidentio__incident_role_assignments') }}
    where deleted_at is null

),

-- The assignee of the `lead` role; if an account had several lead roles, the first in the record.
leads as (

    select
        incident_id,
        assignee_email as lead_email,
        row_number() over (
            partition by incident_id
            order by element_index asc, role_id asc
        ) as lead_order
    from role_assignments
    where role_type = 'lead' and is_assigned

),

joined as (

    select
        incidents.incident_id,
        incidents.reference,
        incidents.name,
        incidents.mode,
        incidents.status_name,
        incidents.status_category,
        incidents.severity_name,
        incidents.severity_rank,
        incidents.incident_type,
        incidents.created_at,
        -- docs/metrics.md#incident-timestamps; defined once, in int_incident_windows.
        ledger_times.reported_at,
        ledger_times.reported_at_source,
        timestamps.impact_started_at,
        timestamps.fixed_at,
        ledger_times.resolved_at,
        ledger_times.resolved_at_source,
        timestamps.closed_at,
        leads.lead_email,
        incidents.slack_channel_id,
        incidents.zoom_meeting_id,
        pagerduty_links.pagerduty_incident_id,
        pagerduty_links.link_source as pagerduty_link_source,
        first_alerts.first_alert_at
    from incidents
    left join timestamps
        on incidents.incident_id = timestamps.incident_id
    left join ledger_times
        on incidents.incident_id = ledger_times.incident_id
    left join pagerduty_links
        on incidents.incident_id = pagerduty_links.incident_id
    left join leads
        on incidents.incident_id = leads.incident_id and leads.lead_order = 1
    left join first_alerts
        on incidents.incident_id = first_alerts.incident_id

),

raw_durations as (

    select
        *,
        {{ seconds_between('reported_at', 'resolved_at') }} as raw_resolve_seconds,
        {{ seconds_between('coalesce(impact_started_at, reported_at)', 'fixed_at') }} as raw_mitigate_seconds,
        {{ seconds_between('first_alert_at', 'created_at') }} as raw_declare_seconds
    from joined

),

durations as (

    select
        *,
        -- An end before its start is a data error (hand-edited timestamps): the duration is null,
        -- the timestamps stay as they are, and the row is flagged.
        case when raw_resolve_seconds >= 0 then raw_resolve_seconds end as time_to_resolve_seconds,
        case when raw_mitigate_seconds >= 0 then raw_mitigate_seconds end as time_to_mitigate_seconds,
        coalesce(raw_resolve_seconds < 0, false) as is_resolve_duration_invalid,
        coalesce(raw_mitigate_seconds < 0, false) as is_mitigate_duration_invalid,
        -- Declared before its first alert fired: no time to declare, flagged (counted invalid in
        -- metrics_data_coverage), apart from is_duration_invalid, which is about the ledger's durations.
        case when raw_declare_seconds >= 0 then raw_declare_seconds end as time_to_declare_seconds,
        coalesce(raw_declare_seconds < 0, false) as is_time_to_declare_invalid
    from raw_durations

),

final as (

    select
        ---------- ids
        cast(incident_id as varchar) as incident_id,
        cast(reference as varchar) as reference,
        cast(slack_channel_id as varchar) as slack_channel_id,
        cast(zoom_meeting_id as varchar) as zoom_meeting_id,
        cast(pagerduty_incident_id as varchar) as pagerduty_incident_id,

        ---------- strings
        cast(name as varchar) as name,
        cast(mode as varchar) as mode,
        cast(status_name as varchar) as status_name,
        cast(status_category as varchar) as status_category,
        cast(severity_name as varchar) as severity_name,
        cast(incident_type as varchar) as incident_type,
        cast(lead_email as varchar) as lead_email,
        cast(reported_at_source as varchar) as reported_at_source,
        cast(resolved_at_source as varchar) as resolved_at_source,
        cast(pagerduty_link_source as varchar) as pagerduty_link_source,

        ---------- numerics
        cast(severity_rank as integer) as severity_rank,
        cast(time_to_resolve_seconds as double precision) as time_to_resolve_seconds,
        cast(time_to_mitigate_seconds as double precision) as time_to_mitigate_seconds,
        cast(time_to_declare_seconds as double precision) as time_to_declare_seconds,

        ---------- booleans
        -- docs/metrics.md#which-incidents-are-measured; the rule lives in macros/metrics_rules.sql.
        {{ is_in_metrics('mode', 'status_category') }} as is_in_metrics,
        {{ is_status_in_metrics('status_category') }} as is_status_in_metrics,
        (is_resolve_duration_invalid or is_mitigate_duration_invalid) as is_duration_invalid,
        is_resolve_duration_invalid,
        is_mitigate_duration_invalid,
        is_time_to_declare_invalid,

        ---------- timestamps
        cast(created_at as timestamptz) as created_at,
        cast(reported_at as timestamptz) as reported_at,
        cast(impact_started_at as timestamptz) as impact_started_at,
        cast(fixed_at as timestamptz) as fixed_at,
        cast(resolved_at as timestamptz) as resolved_at,
        cast(closed_at as timestamptz) as closed_at,
        cast(first_alert_at as timestamptz) as first_alert_at

    from durations

)

select * from final
