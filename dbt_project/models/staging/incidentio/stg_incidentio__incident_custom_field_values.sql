-- One row per value of a custom field entry of an incident: `custom_field_entries[].values[]`
-- unnested twice. An entry with no values gives no row. Numeric values arrive as strings: the text is
-- kept as sent (`value_numeric_text`); `value_numeric` is its number, null when the text is no number.
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

entries as (

    select
        source.id as incident_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_incidents')) }} as deleted_at,
        source._synced_at,
        custom_field_entry.element as entry,
        custom_field_entry.element_index as entry_index
    from source
    {{ json_array_elements('source._record', 'custom_field_entries', 'custom_field_entry') }}

),

entry_values as (

    select
        entries.incident_id,
        entries.deleted_at,
        entries._synced_at,
        entries.entry,
        entries.entry_index,
        entry_value.element as value,
        entry_value.element_index as value_index
    from entries
    {{ json_array_elements('entries.entry', 'values', 'entry_value') }}

),

renamed as (

    select
        ---------- ids
        incident_id
        || ':' || {{ json_text('entry', 'custom_field.id') }}
        || ':' || cast(value_index as varchar) as incident_custom_field_value_id,
        incident_id,
        {{ json_text('entry', 'custom_field.id') }} as custom_field_id,
        {{ json_text('value', 'value_option.id') }} as value_option_id,
        {{ json_text('value', 'value_catalog_entry.id') }} as value_catalog_entry_id,
        {{ empty_to_null(json_text('value', 'value_catalog_entry.external_id')) }} as value_catalog_entry_external_id,

        ---------- strings
        {{ json_text('entry', 'custom_field.name') }} as custom_field_name,
        {{ json_text('entry', 'custom_field.field_type') }} as field_type,
        {{ json_text('value', 'value_option.value') }} as value_option,
        {{ json_text('value', 'value_text') }} as value_text,
        {{ json_text('value', 'value_link') }} as value_link,
        {{ json_text('value', 'value_catalog_entry.name') }} as value_catalog_entry_name,
        {{ json_text('value', 'value_numeric') }} as value_numeric_text,

        ---------- numerics
        case
            when {{ regex_matches(
                "trim(" ~ json_text('value', 'value_numeric') ~ ")",
                '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
            ) }}
                then cast(trim({{ json_text('value', 'value_numeric') }}) as double precision)
        end as value_numeric,
        entry_index,
        value_index,

        ---------- timestamps
        -- The incident's deletion at the source (the values go with it).
        deleted_at,
        -- The raw row's sync time: with deleted_at, its change marker.
        _synced_at

    from entry_values

)

select * from renamed
