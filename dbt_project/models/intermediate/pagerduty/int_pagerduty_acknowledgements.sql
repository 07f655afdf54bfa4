-- One row per acknowledgement of a PagerDuty incident (an acknowledge log entry; the spec's spelling
-- acknowledgement_log_entry is normalised in staging), numbered in time order. An incident
-- acknowledged twice has two rows; `seconds_to_first_ack` uses the first (docs/metrics.md#pagerduty-response).
with

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}
    where log_entry_type = 'acknowledge_log_entry' and deleted_at is null

),

pagerduty_accounts as (

    select
        tool_user_id as pagerduty_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'pagerduty' and is_person

),

final as (

    select
        log_entries.log_entry_id,
        log_entries.pagerduty_incident_id,
        case when log_entries.agent_type = 'user_reference' then log_entries.agent_id end as pagerduty_user_id,
        pagerduty_accounts.person_email,
        log_entries.channel_type,
        log_entries.created_at as acknowledged_at,
        cast(row_number() over (
            partition by log_entries.pagerduty_incident_id
            order by log_entries.created_at, log_entries.log_entry_id
        ) as integer) as acknowledgement_number
    from log_entries
    left join pagerduty_accounts
        on
            log_entries.agent_type = 'user_reference'
            and log_entries.agent_id = pagerduty_accounts.pagerduty_user_id

)

select * from final
