-- One row per incident attachment (IncidentAttachmentV1): a link from an incident to a resource in
-- another tool. `resource_type` 'pager_duty_incident' is how incident.io's PagerDuty integration
-- records the PagerDuty incident (`external_id`).
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_attachments') }}

),

renamed as (

    select
        ---------- ids
        id as incident_attachment_id,
        incident_id,
        {{ json_text('_record', 'resource.external_id') }} as resource_external_id,

        ---------- strings
        {{ json_text('_record', 'resource.resource_type') }} as resource_type,
        {{ json_text('_record', 'resource.permalink') }} as resource_permalink,
        {{ json_text('_record', 'resource.title') }} as resource_title,

        ---------- timestamps
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_attachments')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
