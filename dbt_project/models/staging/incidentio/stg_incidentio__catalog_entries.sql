-- One row per catalog entry (GET /v3/catalog_entries) of the types a custom field points at: teams,
-- services and the like. `aliases` stays a JSON array (other spellings the entry is known by).
with

source as (

    select * from {{ source('incidentio', 'incidentio_catalog_entries') }}

),

renamed as (

    select
        ---------- ids
        id as catalog_entry_id,
        coalesce(catalog_type_id, {{ json_text('_record', 'catalog_type_id') }}) as catalog_type_id,
        {{ empty_to_null(json_text('_record', 'external_id')) }} as external_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as catalog_entry_name,

        ---------- json
        {{ json_value('_record', 'aliases') }} as aliases,

        ---------- numerics
        cast({{ json_text('_record', 'rank') }} as integer) as entry_rank,

        ---------- timestamps
        cast({{ json_text('_record', 'archived_at') }} as timestamptz) as archived_at,
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_catalog_entries')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
