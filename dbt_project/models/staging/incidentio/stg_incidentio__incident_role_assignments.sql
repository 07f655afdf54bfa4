-- One row per element of an incident's `incident_role_assignments` array, assigned or not
-- (the assignee columns are null for an unassigned role).
-- Incremental (docs/metrics.md#incremental-builds): the rows of the raw rows changed since the last run,
-- after deleting those raw rows' previous rows (pre-hook).
{{
    config(
        materialized='incremental',
        unique_key='incident_id',
        pre_hook="{{ delete_rows_of_changed_raw_rows('incident_id', source('incidentio', 'incidentio_incidents')) }}",
    )
}}

with

source as (

    select * from {{ source('incidentio', 'incidentio_incidents') }}
    where {{ raw_changed_since_last_run(source('incidentio', 'incidentio_incidents')) }}

),

role_assignments as (

    select
        source.id as incident_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_incidents')) }} as deleted_at,
        source._synced_at,
        role_assignment.element,
        role_assignment.element_index
    from source
    {{ json_array_elements('source._record', 'incident_role_assignments', 'role_assignment') }}

),

renamed as (

    select
        ---------- ids
        incident_id || ':' || {{ json_text('element', 'role.id') }} as incident_role_assignment_id,
        incident_id,
        {{ json_text('element', 'role.id') }} as role_id,
        {{ json_text('element', 'assignee.id') }} as assignee_user_id,
        {{ empty_to_null(json_text('element', 'assignee.slack_user_id')) }} as assignee_slack_user_id,

        ---------- strings
        {{ json_text('element', 'role.name') }} as role_name,
        {{ json_text('element', 'role.role_type') }} as role_type,
        {{ empty_to_null(json_text('element', 'role.shortform')) }} as role_shortform,
        {{ json_text('element', 'assignee.name') }} as assignee_name,
        lower({{ empty_to_null(json_text('element', 'assignee.email')) }}) as assignee_email,

        ---------- numerics
        element_index,

        ---------- booleans
        {{ json_text('element', 'assignee.id') }} is not null as is_assigned,

        ---------- timestamps
        -- The incident's deletion at the source (its role assignments go with it).
        deleted_at,
        -- The raw row's sync time: with deleted_at, its change marker.
        _synced_at

    from role_assignments

)

select * from renamed
