-- One row per PagerDuty user (GET /users). `time_zone` (IANA) is the zone sleep hours are judged in.
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_users') }}

),

renamed as (

    select
        ---------- ids
        id as pagerduty_user_id,

        ---------- strings
        coalesce({{ json_text('_record', 'name') }}, {{ json_text('_record', 'summary') }}) as user_name,
        lower({{ empty_to_null(json_text('_record', 'email')) }}) as email,
        {{ empty_to_null(json_text('_record', 'time_zone')) }} as time_zone,
        {{ json_text('_record', 'role') }} as user_role,
        {{ empty_to_null(json_text('_record', 'job_title')) }} as job_title,
        {{ json_text('_record', 'html_url') }} as html_url,

        ---------- timestamps
        {{ source_deleted_at(source('pagerduty', 'pagerduty_users')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
