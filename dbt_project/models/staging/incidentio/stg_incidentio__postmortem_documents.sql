-- One row per post-mortem document (GET /v1/postmortem_documents). The API records no completion
-- time: fct_postmortems derives it from `updated_at`.
with

source as (

    select * from {{ source('incidentio', 'incidentio_postmortem_documents') }}

),

renamed as (

    select
        ---------- ids
        id as postmortem_id,
        coalesce(incident_id, {{ json_text('_record', 'incident_id') }}) as incident_id,

        ---------- strings
        {{ json_text('_record', 'title') }} as title,
        {{ json_text('_record', 'status') }} as postmortem_status,
        {{ json_text('_record', 'type') }} as document_type,
        {{ empty_to_null(json_text('_record', 'document_url')) }} as document_url,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        coalesce(updated_at, cast({{ json_text('_record', 'updated_at') }} as timestamptz)) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_postmortem_documents')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
