-- One row per user notified by a `notified_users` event of an escalation (`events[].users[]`): the raw
-- notifications that the 60 s rule chains into pages (int_incidentio_escalation_pages).
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

notified as (

    select
        events.*,
        notified_user.element as notified_user,
        notified_user.element_index as user_index
    from events
    {{ json_array_elements('events.event_record', 'users', 'notified_user') }}
    where {{ json_text('events.event_record', 'event') }} = 'notified_users'

),

renamed as (

    select
        ---------- ids
        escalation_id
        || ':' || cast(event_index as varchar)
        || ':' || cast(user_index as varchar) as escalation_notification_id,
        escalation_id,
        {{ json_text('event_record', 'id') }} as event_id,
        {{ json_text('notified_user', 'id') }} as incidentio_user_id,

        ---------- strings
        {{ json_text('notified_user', 'name') }} as user_name,
        lower(trim({{ json_text('notified_user', 'email') }})) as user_email,
        {{ json_text('event_record', 'urgency') }} as urgency,

        ---------- numerics
        event_index,
        user_index,

        ---------- timestamps
        cast({{ json_text('event_record', 'occurred_at') }} as timestamptz) as notified_at,
        deleted_at,
        _synced_at

    from notified

)

select * from renamed
