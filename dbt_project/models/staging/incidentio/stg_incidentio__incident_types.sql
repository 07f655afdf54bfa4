-- One row per incident type configured in incident.io (GET /v1/incident_types).
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_types') }}

),

renamed as (

    select
        ---------- ids
        id as incident_type_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as incident_type_name,
        {{ empty_to_null(json_text('_record', 'description')) }} as incident_type_description,
        {{ json_text('_record', 'create_in_triage') }} as create_in_triage,

        ---------- booleans
        coalesce(cast({{ json_text('_record', 'is_default') }} as boolean), false) as is_default,
        coalesce(
            cast({{ json_text('_record', 'private_incidents_only') }} as boolean), false
        ) as is_private_incidents_only,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_types')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
