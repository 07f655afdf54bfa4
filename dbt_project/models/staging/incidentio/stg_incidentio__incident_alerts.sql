-- One row per incident alert (IncidentAlertV2): an alert that opened (or was attached to) an incident.
-- The embedded alert's `created_at` is kept so the link still has a time when the alert itself is not
-- in stg_incidentio__alerts.
with

source as (

    select * from {{ source('incidentio', 'incidentio_incident_alerts') }}

),

renamed as (

    select
        ---------- ids
        id as incident_alert_id,
        incident_id,
        alert_id,
        {{ json_text('_record', 'alert_route_id') }} as alert_route_id,

        ---------- timestamps
        cast({{ json_text('_record', 'alert.created_at') }} as timestamptz) as alert_created_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incident_alerts')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
