-- One row per PagerDuty log entry of an incident (trigger, notify, acknowledge, escalate, …).
-- The spec's subschema spells the acknowledgement type 'acknowledgement_log_entry' while the base
-- enum says 'acknowledge_log_entry': both are normalised to 'acknowledge_log_entry'.
-- Incremental (docs/metrics.md#incremental-builds): only the raw rows changed since the last run.
{{ config(materialized='incremental', unique_key='log_entry_id') }}

with

source as (

    select * from {{ source('pagerduty', 'pagerduty_log_entries') }}
    where {{ raw_changed_since_last_run(source('pagerduty', 'pagerduty_log_entries')) }}

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
        -- How a notify entry reached the user. Real payloads carry it in `channel.notification.type`
        -- ('sms_notification', 'phone_notification', 'push_notification', 'email_notification') with
        -- `channel.type` 'auto'; some put `notification` at the top level; older payloads and
        -- clients have the method in `channel.type` itself ('sms', 'phone', 'push_notification',
        -- 'email'). The first present wins, with the '_notification' suffix dropped: 'sms', 'phone',
        -- 'push', 'email' (or whatever new method the API adds). Null on other entry types.
        case
            when {{ json_text('_record', 'type') }} = 'notify_log_entry'
                then {{ regex_replace(
                    "lower(coalesce("
                    ~ json_text('_record', 'channel.notification.type') ~ ", "
                    ~ json_text('_record', 'notification.type') ~ ", "
                    ~ json_text('_record', 'channel.type') ~ "))",
                    '_notification$', ''
                ) }}
        end as notification_method,
        case
            when {{ json_text('_record', 'type') }} <> 'notify_log_entry' then null
            when {{ json_text('_record', 'channel.notification.type') }} is not null then 'channel.notification.type'
            when {{ json_text('_record', 'notification.type') }} is not null then 'notification.type'
            when {{ json_text('_record', 'channel.type') }} is not null then 'channel.type'
        end as notification_method_field,
        {{ json_text('_record', 'channel.notification.status') }} as notification_status,
        {{ json_text('_record', 'agent.type') }} as agent_type,
        {{ json_text('_record', 'agent.summary') }} as agent_name,
        {{ json_text('_record', 'user.summary') }} as notified_user_name,
        {{ json_text('_record', 'note') }} as note,

        ---------- timestamps
        created_at,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_log_entries')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
