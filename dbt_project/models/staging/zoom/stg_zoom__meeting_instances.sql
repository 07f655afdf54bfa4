-- One row per ended instance of a Zoom meeting linked from an incident's call_url.
with

source as (

    select * from {{ source('zoom', 'zoom_meeting_instances') }}

),

renamed as (

    select
        ---------- ids
        id as meeting_uuid,
        meeting_id,

        ---------- timestamps
        coalesce(start_time, cast({{ json_text('_record', 'start_time') }} as timestamptz)) as started_at,
        {{ source_deleted_at(source('zoom', 'zoom_meeting_instances')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
