-- One row per incident follow-up (GET /v2/follow_ups): work agreed after the incident.
-- Incremental (docs/metrics.md#incremental-builds): only the raw rows changed since the last run.
{{ config(materialized='incremental', unique_key='follow_up_id') }}

with

source as (

    select * from {{ source('incidentio', 'incidentio_follow_ups') }}
    where {{ raw_changed_since_last_run(source('incidentio', 'incidentio_follow_ups')) }}

),

renamed as (

    select
        ---------- ids
        id as follow_up_id,
        coalesce(incident_id, {{ json_text('_record', 'incident_id') }}) as incident_id,
        {{ json_text('_record', 'priority.id') }} as priority_id,
        {{ json_text('_record', 'assignee.id') }} as assignee_user_id,
        {{ json_text('_record', 'assignee_team.id') }} as assignee_team_id,
        {{ json_text('_record', 'creator.user.id') }} as creator_user_id,

        ---------- strings
        {{ json_text('_record', 'title') }} as title,
        {{ empty_to_null(json_text('_record', 'description')) }} as follow_up_description,
        {{ json_text('_record', 'status') }} as follow_up_status,
        {{ json_text('_record', 'priority.name') }} as priority_name,
        lower({{ empty_to_null(json_text('_record', 'assignee.email')) }}) as assignee_email,
        {{ json_text('_record', 'assignee_team.name') }} as assignee_team_name,
        lower({{ empty_to_null(json_text('_record', 'creator.user.email')) }}) as creator_email,
        {{ json_text('_record', 'external_issue_reference.provider') }} as external_issue_provider,
        {{ json_text('_record', 'external_issue_reference.issue_name') }} as external_issue_name,
        {{ json_text('_record', 'external_issue_reference.issue_permalink') }} as external_issue_url,

        ---------- numerics
        cast({{ json_text('_record', 'priority.rank') }} as integer) as priority_rank,

        ---------- timestamps
        cast({{ json_text('_record', 'completed_at') }} as timestamptz) as completed_at,
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        coalesce(updated_at, cast({{ json_text('_record', 'updated_at') }} as timestamptz)) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_follow_ups')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
