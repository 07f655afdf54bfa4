-- One row per event of an escalation (`events[]`: triggered, notified_users, acked, resolved, expired,
-- cancelled, …), in the order of the record.
with

source as (

    select * from {{ source('incidentio', 'incidentio_escalations') }}

),

events as (

    select
        source.id as escalation_id,
        {{ source_deleted_at(source('incidentio', 'incidentio_escalations')) }} as deleted_at,
        source._synced_at,
        escalation_event.element as event_record,
        escalation_event.element_index as event_index
    from source
    {{ json_array_elements('source._record', 'events', 'escalation_event') }}

),

renamed as (

    select
        ---------- ids
        escalation_id || ':' || cast(event_index as varchar) as escalation_event_key,
        escalation_id,
        {{ json_text('event_record', 'id') }} as event_id,

        ---------- strings
        {{ json_text('event_record', 'event') }} as event_type,
        {{ json_text('event_record', 'urgency') }} as urgency,

        ---------- numerics
        event_index,
        {{ json_array_length(json_value('event_record', 'users')) }} as user_count,

        ---------- timestamps
        cast({{ json_text('event_record', 'occurred_at') }} as timestamptz) as occurred_at,
        deleted_at,
        _synced_at

    from events

)

select * from renamed
