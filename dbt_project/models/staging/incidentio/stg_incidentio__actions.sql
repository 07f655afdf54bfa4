-- One row per incident action (GET /v2/actions): a task done during the incident.
with

source as (

    select * from {{ source('incidentio', 'incidentio_actions') }}

),

renamed as (

    select
        ---------- ids
        id as action_id,
        coalesce(incident_id, {{ json_text('_record', 'incident_id') }}) as incident_id,
        {{ json_text('_record', 'assignee.id') }} as assignee_user_id,
        {{ json_text('_record', 'creator.user.id') }} as creator_user_id,

        ---------- strings
        {{ json_text('_record', 'description') }} as action_description,
        {{ json_text('_record', 'status') }} as action_status,
        lower({{ empty_to_null(json_text('_record', 'assignee.email')) }}) as assignee_email,
        lower({{ empty_to_null(json_text('_record', 'creator.user.email')) }}) as creator_email,

        ---------- timestamps
        cast({{ json_text('_record', 'completed_at') }} as timestamptz) as completed_at,
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        coalesce(updated_at, cast({{ json_text('_record', 'updated_at') }} as timestamptz)) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_actions')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
