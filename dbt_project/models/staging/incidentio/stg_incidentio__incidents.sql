-- One row per incident.io incident (every mode), flattened from IncidentV2.
-- Arrays (timestamp values, role assignments, custom field entries) are unnested in their own
-- stg_incidentio__incident_* models; this model keeps only the scalar and embedded-object fields.
with

source as (

    select * from {{ source('incidentio', 'incidentio_incidents') }}

),

renamed as (

    select
        ---------- ids
        id as incident_id,
        {{ json_text('_record', 'incident_status.id') }} as status_id,
        {{ json_text('_record', 'severity.id') }} as severity_id,
        {{ json_text('_record', 'incident_type.id') }} as incident_type_id,
        {{ empty_to_null(json_text('_record', 'slack_channel_id')) }} as slack_channel_id,
        {{ empty_to_null(json_text('_record', 'slack_team_id')) }} as slack_team_id,
        -- The Zoom meeting id of `call_url`, parsed once, by the connector, into a typed raw column
        -- (pipelines/connectors/zoom.py): the Zoom sync and the models read the same value.
        zoom_meeting_id,
        {{ json_text('_record', 'creator.user.id') }} as creator_user_id,

        ---------- strings
        {{ json_text('_record', 'reference') }} as reference,
        {{ json_text('_record', 'name') }} as name,
        {{ json_text('_record', 'summary') }} as summary,
        {{ json_text('_record', 'mode') }} as mode,
        {{ json_text('_record', 'visibility') }} as visibility,
        {{ json_text('_record', 'incident_status.name') }} as status_name,
        {{ json_text('_record', 'incident_status.category') }} as status_category,
        {{ json_text('_record', 'severity.name') }} as severity_name,
        {{ json_text('_record', 'incident_type.name') }} as incident_type,
        {{ empty_to_null(json_text('_record', 'slack_channel_name')) }} as slack_channel_name,
        {{ empty_to_null(json_text('_record', 'call_url')) }} as call_url,
        {{ json_text('_record', 'permalink') }} as permalink,
        {{ empty_to_null(json_text('_record', 'postmortem_document_url')) }} as postmortem_document_url,
        lower({{ empty_to_null(json_text('_record', 'creator.user.email')) }}) as creator_email,

        ---------- numerics
        cast({{ json_text('_record', 'incident_status.rank') }} as integer) as status_rank,
        cast({{ json_text('_record', 'severity.rank') }} as integer) as severity_rank,
        cast({{ json_text('_record', 'workload_minutes_total') }} as double precision) as workload_minutes_total,
        cast({{ json_text('_record', 'workload_minutes_working') }} as double precision) as workload_minutes_working,
        cast({{ json_text('_record', 'workload_minutes_late') }} as double precision) as workload_minutes_late,
        cast({{ json_text('_record', 'workload_minutes_sleeping') }} as double precision) as workload_minutes_sleeping,

        ---------- booleans
        cast({{ json_text('_record', 'has_debrief') }} as boolean) as has_debrief,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        -- IncidentV2 lists a top-level `reported_at` among its required fields (not in its properties);
        -- kept when sent, as the second choice after the "Reported at" timestamp value.
        cast({{ json_text('_record', 'reported_at') }} as timestamptz) as record_reported_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_incidents')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
