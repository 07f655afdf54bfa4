-- One row per element of a PagerDuty incident's `acknowledgements` array ({at, acknowledger}): who
-- acknowledged it, as the incident record says now. PagerDuty keeps this array only while the
-- incident is acknowledged (resolving clears it), so it is the fallback for the first acknowledgement
-- when the log entries hold no acknowledge entry; the log entries stay the history.
-- Incremental (docs/metrics.md#incremental-builds): the rows of the raw rows changed since the last run,
-- after deleting those raw rows' previous rows (pre-hook).
{{
    config(
        materialized='incremental',
        unique_key='pagerduty_incident_id',
        pre_hook="{{ delete_rows_of_changed_raw_rows('pagerduty_incident_id', source('pagerduty', 'pagerduty_incidents')) }}",
    )
}}

with

source as (

    select * from {{ source('pagerduty', 'pagerduty_incidents') }}
    where {{ raw_changed_since_last_run(source('pagerduty', 'pagerduty_incidents')) }}

),

acknowledgements as (

    select
        source.id as pagerduty_incident_id,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_incidents')) }} as deleted_at,
        source._synced_at,
        acknowledgement.element,
        acknowledgement.element_index
    from source
    {{ json_array_elements('source._record', 'acknowledgements', 'acknowledgement') }}

),

renamed as (

    select
        ---------- ids
        pagerduty_incident_id || ':' || cast(element_index as varchar) as incident_acknowledgement_id,
        pagerduty_incident_id,
        {{ json_text('element', 'acknowledger.id') }} as acknowledger_id,

        ---------- strings
        {{ json_text('element', 'acknowledger.type') }} as acknowledger_type,

        ---------- numerics
        element_index,

        ---------- timestamps
        cast({{ json_text('element', 'at') }} as timestamptz) as acknowledged_at,
        deleted_at,
        _synced_at

    from acknowledgements

)

select * from renamed
