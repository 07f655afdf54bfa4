-- One row per PagerDuty service (GET /services).
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_services') }}

),

renamed as (

    select
        ---------- ids
        id as service_id,
        {{ json_text('_record', 'escalation_policy.id') }} as escalation_policy_id,

        ---------- strings
        coalesce({{ json_text('_record', 'name') }}, {{ json_text('_record', 'summary') }}) as service_name,
        {{ empty_to_null(json_text('_record', 'description')) }} as service_description,
        {{ json_text('_record', 'status') }} as service_status,
        {{ json_text('_record', 'escalation_policy.summary') }} as escalation_policy_name,
        {{ json_text('_record', 'incident_urgency_rule.type') }} as urgency_rule_type,
        {{ json_text('_record', 'incident_urgency_rule.urgency') }} as urgency_rule_urgency,
        {{ json_text('_record', 'html_url') }} as html_url,

        ---------- numerics
        cast({{ json_text('_record', 'auto_resolve_timeout') }} as integer) as auto_resolve_timeout_seconds,
        cast({{ json_text('_record', 'acknowledgement_timeout') }} as integer) as acknowledgement_timeout_seconds,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'last_incident_timestamp') }} as timestamptz) as last_incident_at,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_services')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
