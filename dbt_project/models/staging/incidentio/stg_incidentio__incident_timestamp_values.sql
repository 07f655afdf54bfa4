-- One row per element of an incident's `incident_timestamp_values` array: every configured
-- timestamp ("Reported at", "Resolved at", …), set or not (`timestamp_value` is null when unset).
-- Unnesting here (not in intermediate) keeps JSON handling in the staging layer; this model reads
-- the same source table as stg_incidentio__incidents and joins nothing.
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

timestamp_values as (

    select
        source.id as incident_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_incidents')) }} as deleted_at,
        source._synced_at,
        timestamp_value.element,
        timestamp_value.element_index
    from source
    {{ json_array_elements('source._record', 'incident_timestamp_values', 'timestamp_value') }}

),

renamed as (

    select
        ---------- ids
        incident_id || ':' || {{ json_text('element', 'incident_timestamp.id') }} as incident_timestamp_value_id,
        incident_id,
        {{ json_text('element', 'incident_timestamp.id') }} as timestamp_id,

        ---------- strings
        {{ json_text('element', 'incident_timestamp.name') }} as timestamp_name,

        ---------- numerics
        cast({{ json_text('element', 'incident_timestamp.rank') }} as integer) as timestamp_rank,
        element_index,

        ---------- timestamps
        cast({{ json_text('element', 'value.value') }} as timestamptz) as timestamp_value,
        -- The incident's deletion at the source and its raw row's sync time (its change marker).
        deleted_at,
        _synced_at

    from timestamp_values

)

select * from renamed
