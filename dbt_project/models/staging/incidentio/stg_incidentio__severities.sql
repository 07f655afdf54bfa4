-- One row per severity configured in incident.io (GET /v1/severities). Higher rank is more severe.
with

source as (

    select * from {{ source('incidentio', 'incidentio_severities') }}

),

renamed as (

    select
        ---------- ids
        id as severity_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as severity_name,
        {{ json_text('_record', 'description') }} as severity_description,

        ---------- numerics
        cast({{ json_text('_record', 'rank') }} as integer) as severity_rank,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_severities')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
