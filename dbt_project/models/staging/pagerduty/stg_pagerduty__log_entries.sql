-- One row per PagerDuty log entry of an incident (trigger, notify, acknowledge, escalate, …).
-- The spec's subschema spells the acknowledgement type 'acknowledgement_log_entry' while the base
-- enum says 'acknowledge_log_entry': both are normalised to 'acknowledge_log_entry'.
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_log_entries') }}

),

renamed as (

    select
        ---------- ids
        id as log_entry_id,
        coalesce(incident_id, {{ json_text('_record', 'incident.id') }}) as pagerduty_incident_id,
        {{ json_text('_record', 'agent.id') }} as agent_id,
        {{ json_text('_record', 'user.id') }} as notified_user_id,

        ---------- strings
        case {{ json_text('_record', 'type') }}
            when 'acknowledgement_log_entry' then 'acknowledge_log_entry'
            else {{ json_text('_record', 'type') }}
        end as log_entry_type,
        {{ json_text('_record', 'summary') }} as summary,
        {{ json_text('_record', 'channel.type') }} as channel_type,
        {{ json_text('_record', 'agent.type') }} as agent_type,
        {{ json_text('_record', 'agent.summary') }} as agent_name,
        {{ json_text('_record', 'user.summary') }} as notified_user_name,
        {{ json_text('_record', 'note') }} as note,

        ---------- timestamps
        created_at,
        _synced_at

    from source

)

select * from renamed
