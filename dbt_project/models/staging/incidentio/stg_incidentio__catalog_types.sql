-- One row per catalog type (GET /v3/catalog_types). `is_team_type` marks the type whose entries are
-- the teams.
with

source as (

    select * from {{ source('incidentio', 'incidentio_catalog_types') }}

),

renamed as (

    select
        ---------- ids
        id as catalog_type_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as catalog_type_name,
        {{ json_text('_record', 'type_name') }} as type_name,
        {{ empty_to_null(json_text('_record', 'description')) }} as catalog_type_description,

        ---------- booleans
        coalesce(cast({{ json_text('_record', 'is_team_type') }} as boolean), false) as is_team_type,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_catalog_types')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
