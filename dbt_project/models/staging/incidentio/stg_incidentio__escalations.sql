-- One row per incident.io On-call escalation (EscalationV2): the alert that raised it and where it
-- stands. Its events are stg_incidentio__escalation_events, the people it notified
-- stg_incidentio__escalation_notifications, its incidents stg_incidentio__escalation_incidents.
with

source as (

    select * from {{ source('incidentio', 'incidentio_escalations') }}

),

renamed as (

    select
        ---------- ids
        id as escalation_id,
        {{ json_text('_record', 'escalation_path_id') }} as escalation_path_id,
        {{ json_text('_record', 'creator.alert.id') }} as alert_id,

        ---------- strings
        {{ json_text('_record', 'title') }} as title,
        {{ json_text('_record', 'status') }} as status,
        {{ json_text('_record', 'priority.name') }} as priority_name,

        ---------- timestamps
        created_at,
        updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_escalations')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
