-- One row per incident update (IncidentUpdateV2): status and severity changes.
-- Incremental (docs/metrics.md#incremental-builds): only the raw rows changed since the last run.
{{ config(materialized='incremental', unique_key='incident_update_id') }}

with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_updates') }}
    where {{ raw_changed_since_last_run(source('incidentio', 'incidentio_incident_updates')) }}

),

renamed as (

    select
        ---------- ids
        id as incident_update_id,
        incident_id,
        {{ json_text('_record', 'new_incident_status.id') }} as new_status_id,
        {{ json_text('_record', 'new_severity.id') }} as new_severity_id,
        {{ json_text('_record', 'updater.user.id') }} as updater_user_id,

        ---------- strings
        {{ json_text('_record', 'message') }} as message,
        {{ json_text('_record', 'new_incident_status.name') }} as new_status_name,
        {{ json_text('_record', 'new_incident_status.category') }} as new_status_category,
        {{ json_text('_record', 'new_severity.name') }} as new_severity_name,
        lower({{ empty_to_null(json_text('_record', 'updater.user.email')) }}) as updater_email,

        ---------- numerics
        cast({{ json_text('_record', 'new_severity.rank') }} as integer) as new_severity_rank,

        ---------- timestamps
        created_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_updates')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
