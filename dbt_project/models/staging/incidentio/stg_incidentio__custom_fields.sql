-- One row per custom field configured in incident.io (GET /v2/custom_fields). The values an incident
-- holds are in stg_incidentio__incident_custom_field_values.
with

source as (

    select * from {{ source('incidentio', 'incidentio_custom_fields') }}

),

renamed as (

    select
        ---------- ids
        id as custom_field_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as custom_field_name,
        {{ empty_to_null(json_text('_record', 'description')) }} as custom_field_description,
        {{ json_text('_record', 'field_type') }} as field_type,
        {{ json_text('_record', 'required') }} as required_when,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_custom_fields')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
