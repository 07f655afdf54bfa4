-- One row per incident.io team (GET /v3/teams). A team is an entry of the catalog's team type:
-- `catalog_entry_id` is what a catalog-backed custom field value points at. Members are in
-- stg_incidentio__team_members.
with

source as (

    select * from {{ source('incidentio', 'incidentio_teams') }}

),

renamed as (

    select
        ---------- ids
        id as team_id,
        {{ json_text('_record', 'catalog_entry.id') }} as catalog_entry_id,
        {{ empty_to_null(json_text('_record', 'catalog_entry.external_id')) }} as catalog_entry_external_id,

        ---------- strings
        -- As incident.io spells it (not trimmed): the match with PagerDuty trims and lower-cases.
        {{ json_text('_record', 'name') }} as team_name,
        {{ json_text('_record', 'catalog_entry.name') }} as catalog_entry_name,

        ---------- numerics
        {{ json_array_length(json_value('_record', 'members')) }} as listed_member_count,

        ---------- timestamps
        {{ source_deleted_at(source('incidentio', 'incidentio_teams')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
