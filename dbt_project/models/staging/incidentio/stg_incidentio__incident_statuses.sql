-- One row per incident status configured in incident.io (GET /v1/incident_statuses).
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_statuses') }}

),

renamed as (

    select
        ---------- ids
        id as status_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as status_name,
        {{ json_text('_record', 'description') }} as status_description,
        {{ json_text('_record', 'category') }} as status_category,

        ---------- numerics
        cast({{ json_text('_record', 'rank') }} as integer) as status_rank,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_statuses')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
