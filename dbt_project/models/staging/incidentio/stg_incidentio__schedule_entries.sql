-- One row per entry of a schedule's `final` list (ScheduleEntryV2, after overrides): one person on call
-- from start_at to end_at. An override that cuts a shift in two gives two entries.
with

source as (

    select * from {{ source('incidentio', 'incidentio_schedule_entries') }}

),

renamed as (

    select
        ---------- ids
        id as schedule_entry_id,
        schedule_id,
        {{ json_text('_record', 'entry_id') }} as entry_id,
        {{ json_text('_record', 'fingerprint') }} as fingerprint,
        {{ json_text('_record', 'rotation_id') }} as rotation_id,
        {{ json_text('_record', 'layer_id') }} as layer_id,
        {{ json_text('_record', 'user.id') }} as incidentio_user_id,

        ---------- strings
        {{ json_text('_record', 'user.name') }} as user_name,
        lower(trim({{ json_text('_record', 'user.email') }})) as user_email,

        ---------- timestamps
        start_at,
        end_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_schedule_entries')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
