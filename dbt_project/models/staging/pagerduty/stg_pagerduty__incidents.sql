-- One row per PagerDuty incident (GET /incidents). `created_at` is when it was first triggered.
-- `assignments` and `acknowledgements` are current state only (wiped on resolve), so they are not
-- staged here: acknowledgement history comes from stg_pagerduty__log_entries.
-- Incremental (docs/metrics.md#incremental-builds): only the raw rows changed since the last run.
{{ config(materialized='incremental', unique_key='pagerduty_incident_id') }}

with

source as (

    select * from {{ source('pagerduty', 'pagerduty_incidents') }}
    where {{ raw_changed_since_last_run(source('pagerduty', 'pagerduty_incidents')) }}

),

renamed as (

    select
        ---------- ids
        id as pagerduty_incident_id,
        {{ json_text('_record', 'service.id') }} as service_id,
        {{ json_text('_record', 'priority.id') }} as priority_id,
        {{ json_text('_record', 'escalation_policy.id') }} as escalation_policy_id,
        {{ json_text('_record', 'incident_key') }} as incident_key,

        ---------- strings
        {{ json_text('_record', 'title') }} as title,
        {{ json_text('_record', 'summary') }} as summary,
        {{ json_text('_record', 'status') }} as status,
        {{ json_text('_record', 'urgency') }} as urgency,
        {{ json_text('_record', 'service.summary') }} as service_name,
        {{ json_text('_record', 'priority.summary') }} as priority_name,
        {{ json_text('_record', 'escalation_policy.summary') }} as escalation_policy_name,
        {{ json_text('_record', 'html_url') }} as html_url,
        {{ empty_to_null(json_text('_record', 'conference_bridge.conference_url')) }} as conference_url,

        ---------- numerics
        cast({{ json_text('_record', 'incident_number') }} as bigint) as incident_number,

        ---------- timestamps
        created_at,
        updated_at,
        cast({{ json_text('_record', 'resolved_at') }} as timestamptz) as resolved_at,
        cast({{ json_text('_record', 'last_status_change_at') }} as timestamptz) as last_status_change_at,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_incidents')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
