-- One row per PagerDuty incident (docs/contract.md#marts) with PagerDuty's own response measures
-- (docs/metrics.md#pagerduty-response):
-- time to the first acknowledgement (the earliest, even when acknowledged several times), time to
-- resolve, escalations (escalate log entries, by timeout or by hand) and interruptions (push, phone
-- or SMS notifications, one per user per 60 s), and the incident.io incident that links to it.
with

pagerduty_incidents as (

    select * from {{ ref('stg_pagerduty__incidents') }}
    where deleted_at is null

),

acknowledgements as (

    select * from {{ ref('int_pagerduty_acknowledgements') }}

),

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}
    where deleted_at is null

),

interruptions as (

    select * from {{ ref('int_pagerduty_interruptions') }}

),

record_acknowledgements as (

    select
        pagerduty_incident_id,
        min(acknowledged_at) as first_acknowledged_at
    from {{ ref('stg_pagerduty__incident_acknowledgements') }}
    where deleted_at is null
    group by pagerduty_incident_id

),

incident_links as (

    select * from {{ ref('int_pagerduty_incident_links') }}

),

acknowledgement_summary as (

    select
        pagerduty_incident_id,
        min(acknowledged_at) as first_acknowledged_at,
        count(*) as acknowledgement_count,
        count(distinct pagerduty_user_id) as acknowledging_user_count
    from acknowledgements
    group by pagerduty_incident_id

),

log_entry_summary as (

    select
        pagerduty_incident_id,
        sum(case when log_entry_type = 'escalate_log_entry' then 1 else 0 end) as escalation_count,
        sum(case when log_entry_type = 'notify_log_entry' then 1 else 0 end) as notification_count,
        max(case when log_entry_type = 'resolve_log_entry' then created_at end) as resolved_by_log_entry_at,
        count(*) as log_entry_count
    from log_entries
    group by pagerduty_incident_id

),

interruption_summary as (

    select
        pagerduty_incident_id,
        count(*) as interruption_count,
        sum(case when is_sleep_hour then 1 else 0 end) as sleep_hour_interruption_count
    from interruptions
    group by pagerduty_incident_id

),

-- Derived when the record lacks them (counted in metrics_data_coverage):
--   resolved_at: the record's `resolved_at`; else, for a resolved incident, its (last) resolve log
--     entry; else its `last_status_change_at` (the change into resolved);
--   first_acknowledged_at: the earliest acknowledge log entry; else the earliest `acknowledgements[].at`
--     of the record (PagerDuty keeps that array only while the incident is acknowledged).
derived as (

    select
        pagerduty_incidents.pagerduty_incident_id,
        case
            when pagerduty_incidents.resolved_at is not null then pagerduty_incidents.resolved_at
            when pagerduty_incidents.status <> 'resolved' then null
            else coalesce(log_entry_summary.resolved_by_log_entry_at, pagerduty_incidents.last_status_change_at)
        end as resolved_at,
        case
            when pagerduty_incidents.resolved_at is not null then 'resolved_at'
            when pagerduty_incidents.status <> 'resolved' then null
            when log_entry_summary.resolved_by_log_entry_at is not null then 'resolve_log_entry'
            when pagerduty_incidents.last_status_change_at is not null then 'last_status_change_at'
        end as resolved_at_source,
        coalesce(
            acknowledgement_summary.first_acknowledged_at, record_acknowledgements.first_acknowledged_at
        ) as first_acknowledged_at,
        case
            when acknowledgement_summary.first_acknowledged_at is not null then 'acknowledge_log_entry'
            when record_acknowledgements.first_acknowledged_at is not null then 'acknowledgements'
        end as first_acknowledged_at_source
    from pagerduty_incidents
    left join acknowledgement_summary
        on pagerduty_incidents.pagerduty_incident_id = acknowledgement_summary.pagerduty_incident_id
    left join log_entry_summary
        on pagerduty_incidents.pagerduty_incident_id = log_entry_summary.pagerduty_incident_id
    left join record_acknowledgements
        on pagerduty_incidents.pagerduty_incident_id = record_acknowledgements.pagerduty_incident_id

),

joined as (

    select
        pagerduty_incidents.pagerduty_incident_id,
        pagerduty_incidents.service_id,
        pagerduty_incidents.title,
        pagerduty_incidents.status,
        pagerduty_incidents.service_name,
        pagerduty_incidents.urgency,
        pagerduty_incidents.priority_name,
        pagerduty_incidents.escalation_policy_name,
        pagerduty_incidents.incident_number,
        pagerduty_incidents.created_at,
        derived.resolved_at,
        derived.resolved_at_source,
        derived.first_acknowledged_at,
        derived.first_acknowledged_at_source,
        coalesce(acknowledgement_summary.acknowledgement_count, 0) as acknowledgement_count,
        coalesce(acknowledgement_summary.acknowledging_user_count, 0) as acknowledging_user_count,
        coalesce(log_entry_summary.escalation_count, 0) as escalation_count,
        coalesce(log_entry_summary.notification_count, 0) as notification_count,
        coalesce(log_entry_summary.log_entry_count, 0) as log_entry_count,
        coalesce(interruption_summary.interruption_count, 0) as interruption_count,
        coalesce(interruption_summary.sleep_hour_interruption_count, 0) as sleep_hour_interruption_count,
        incident_links.incident_id,
        coalesce(incident_links.linked_incident_count, 0) as linked_incident_count,
        {{ seconds_between('pagerduty_incidents.created_at', 'derived.first_acknowledged_at') }}
            as raw_seconds_to_first_ack,
        {{ seconds_between('pagerduty_incidents.created_at', 'derived.resolved_at') }}
            as raw_seconds_to_resolve
    from pagerduty_incidents
    inner join derived
        on pagerduty_incidents.pagerduty_incident_id = derived.pagerduty_incident_id
    left join acknowledgement_summary
        on pagerduty_incidents.pagerduty_incident_id = acknowledgement_summary.pagerduty_incident_id
    left join log_entry_summary
        on pagerduty_incidents.pagerduty_incident_id = log_entry_summary.pagerduty_incident_id
    left join interruption_summary
        on pagerduty_incidents.pagerduty_incident_id = interruption_summary.pagerduty_incident_id
    left join incident_links
        on pagerduty_incidents.pagerduty_incident_id = incident_links.pagerduty_incident_id

),

final as (

    select
        ---------- ids
        cast(pagerduty_incident_id as varchar) as pagerduty_incident_id,
        cast(incident_id as varchar) as incident_id,
        cast(service_id as varchar) as service_id,

        ---------- strings
        cast(title as varchar) as title,
        cast(status as varchar) as status,
        cast(service_name as varchar) as service_name,
        cast(urgency as varchar) as urgency,
        cast(priority_name as varchar) as priority_name,
        cast(escalation_policy_name as varchar) as escalation_policy_name,
        cast(resolved_at_source as varchar) as resolved_at_source,
        cast(first_acknowledged_at_source as varchar) as first_acknowledged_at_source,

        ---------- numerics
        cast(incident_number as bigint) as incident_number,
        -- An end before its start would be a data error: null, like fct_incidents' durations.
        cast(case when raw_seconds_to_first_ack >= 0 then raw_seconds_to_first_ack end as double precision)
            as seconds_to_first_ack,
        cast(case when raw_seconds_to_resolve >= 0 then raw_seconds_to_resolve end as double precision)
            as seconds_to_resolve,
        cast(escalation_count as integer) as escalation_count,
        cast(interruption_count as integer) as interruption_count,
        cast(sleep_hour_interruption_count as integer) as sleep_hour_interruption_count,
        cast(notification_count as integer) as notification_count,
        cast(acknowledgement_count as integer) as acknowledgement_count,
        cast(acknowledging_user_count as integer) as acknowledging_user_count,
        cast(log_entry_count as integer) as log_entry_count,
        cast(linked_incident_count as integer) as linked_incident_count,

        ---------- booleans
        first_acknowledged_at is not null as is_acknowledged,
        resolved_at is not null as is_resolved,

        ---------- timestamps
        cast(created_at as timestamptz) as created_at,
        cast(first_acknowledged_at as timestamptz) as first_acknowledged_at,
        cast(resolved_at as timestamptz) as resolved_at

    from joined

)

select * from final
