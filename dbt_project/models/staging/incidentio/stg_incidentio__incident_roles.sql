-- One row per incident role configured in incident.io (GET /v2/incident_roles).
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_roles') }}

),

renamed as (

    select
        ---------- ids
        id as role_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as role_name,
        {{ json_text('_record', 'description') }} as role_description,
        {{ empty_to_null(json_text('_record', 'shortform')) }} as role_shortform,
        {{ json_text('_record', 'role_type') }} as role_type,

        ---------- booleans
        coalesce(cast({{ json_text('_record', 'required') }} as boolean), false) as is_required,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_roles')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
