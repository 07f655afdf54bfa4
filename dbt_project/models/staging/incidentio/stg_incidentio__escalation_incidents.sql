-- One row per incident related to an escalation (`related_incidents[]`, IncidentSlim), in the order of
-- the record: the first is the incident a page belongs to.
with

source as (

    select * from {{ source('incidentio', 'incidentio_escalations') }}

),

related as (

    select
        source.id as escalation_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_escalations')) }} as deleted_at,
        source._synced_at,
        related_incident.element as incident_record,
        related_incident.element_index as incident_index
    from source
    {{ json_array_elements('source._record', 'related_incidents', 'related_incident') }}

),

renamed as (

    select
        ---------- ids
        escalation_id || ':' || cast(incident_index as varchar) as escalation_incident_key,
        escalation_id,
        {{ json_text('incident_record', 'id') }} as incident_id,

        ---------- strings
        {{ json_text('incident_record', 'reference') }} as incident_reference,

        ---------- numerics
        incident_index,

        ---------- timestamps
        deleted_at,
        _synced_at

    from related

)

select * from renamed
