-- One row per incident timestamp configured in incident.io (GET /v2/incident_timestamps):
-- the definitions ("Reported at", "Fixed at", …) whose values each incident carries.
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_timestamps') }}

),

renamed as (

    select
        ---------- ids
        id as timestamp_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as timestamp_name,

        ---------- numerics
        cast({{ json_text('_record', 'rank') }} as integer) as timestamp_rank,

        ---------- timestamps
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_timestamps')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
