-- One row per PagerDuty incident (DESIGN §3) with PagerDuty's own response measures (DESIGN §5):
-- time to the first acknowledgement (the earliest, even when acknowledged several times), time to
-- resolve, escalations (escalate log entries, by timeout or by hand) and interruptions (push, phone
-- or SMS notifications, one per user per 60 s), and the incident.io incident that links to it.
with

pagerduty_incidents as (

    select * from {{ ref('stg_pagerduty__incidents') }}

),

acknowledgements as (

    select * from {{ ref('int_pagerduty_acknowledgements') }}

),

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}

),

interruptions as (

    select * from {{ ref('int_pagerduty_interruptions') }}

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

joined as (

    select
        pagerduty_incidents.*,
        acknowledgement_summary.first_acknowledged_at,
        coalesce(acknowledgement_summary.acknowledgement_count, 0) as acknowledgement_count,
        coalesce(acknowledgement_summary.acknowledging_user_count, 0) as acknowledging_user_count,
        coalesce(log_entry_summary.escalation_count, 0) as escalation_count,
        coalesce(log_entry_summary.notification_count, 0) as notification_count,
        coalesce(log_entry_summary.log_entry_count, 0) as log_entry_count,
        coalesce(interruption_summary.interruption_count, 0) as interruption_count,
        coalesce(interruption_summary.sleep_hour_interruption_count, 0) as sleep_hour_interruption_count,
        incident_links.incident_id,
        coalesce(incident_links.linked_incident_count, 0) as linked_incident_count,
        {{ seconds_between('pagerduty_incidents.created_at', 'acknowledgement_summary.first_acknowledged_at') }}
            as raw_seconds_to_first_ack,
        {{ seconds_between('pagerduty_incidents.created_at', 'pagerduty_incidents.resolved_at') }}
            as raw_seconds_to_resolve
    from pagerduty_incidents
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
