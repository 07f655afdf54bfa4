-- One row per incident.io On-call schedule (ScheduleV2): its name and the time zone its rotations hand
-- over in. Hour bands are judged in each person's own zone, never the schedule's.
with

source as (

    select * from {{ source('incidentio', 'incidentio_schedules') }}

),

renamed as (

    select
        ---------- ids
        id as schedule_id,

        ---------- strings
        {{ json_text('_record', 'name') }} as schedule_name,
        {{ json_text('_record', 'timezone') }} as schedule_timezone,

        ---------- timestamps
        cast({{ json_text('_record', 'created_at') }} as timestamptz) as created_at,
        cast({{ json_text('_record', 'updated_at') }} as timestamptz) as updated_at,
        {{ source_deleted_at(source('incidentio', 'incidentio_schedules')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
