-- One row per incident.io alert (AlertV2): when it fired (`created_at`) and where from.
with

source as (

    select * from {{ source('incidentio', 'incidentio_alerts') }}

),

renamed as (

    select
        ---------- ids
        id as alert_id,
        {{ json_text('_record', 'alert_source_id') }} as alert_source_id,
        {{ json_text('_record', 'deduplication_key') }} as deduplication_key,

        ---------- strings
        {{ json_text('_record', 'title') }} as title,
        {{ json_text('_record', 'status') }} as status,

        ---------- timestamps
        created_at,
        cast({{ json_text('_record', 'resolved_at') }} as timestamptz) as resolved_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_alerts')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
