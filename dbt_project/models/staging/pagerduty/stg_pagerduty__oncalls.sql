-- One row per on-call shift: a user at one level of an escalation policy, from start to end (GET /oncalls).
with

source as (

    select * from {{ source('pagerduty', 'pagerduty_oncalls') }}

),

renamed as (

    select
        ---------- ids
        id as oncall_id,
        user_id as pagerduty_user_id,
        escalation_policy_id,
        {{ json_text('_record', 'schedule.id') }} as schedule_id,

        ---------- strings
        {{ json_text('_record', 'user.summary') }} as user_name,
        {{ json_text('_record', 'escalation_policy.summary') }} as escalation_policy_name,
        {{ json_text('_record', 'schedule.summary') }} as schedule_name,

        ---------- numerics
        escalation_level,

        ---------- booleans
        start_at is null as is_permanent,

        ---------- timestamps
        start_at as started_at,
        end_at as ended_at,
        {{ source_deleted_at(source('pagerduty', 'pagerduty_oncalls')) }} as deleted_at,
        _synced_at

    from source

)

select * from renamed
