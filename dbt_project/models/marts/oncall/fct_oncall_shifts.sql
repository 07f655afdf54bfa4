-- One row per on-call shift of one person, from PagerDuty and incident.io (docs/metrics.md#on-call-shifts),
-- with its hours as of the build split into business, off and sleep hours in the person's time zone
-- (docs/metrics.md#hour-bands; the rule is macros/oncall_rules.sql). A running shift counts up to the
-- build, a future one 0 hours; the three bands add up to `hours`.
with

shifts as (

    select * from {{ ref('int_oncall_shifts') }}

),

counted as (

    select
        shift_id,
        timezone,
        start_at,
        counted_end_at as end_at
    from shifts
    where counted_end_at > start_at

),

segments as (

    {{ hour_band_segments('counted', ['shift_id']) }}

),

band_hours as (

    select
        shift_id,
        sum(case when band = 'business' then segment_hours else 0 end) as business_hours,
        sum(case when band = 'off' then segment_hours else 0 end) as off_hours,
        sum(case when band = 'sleep' then segment_hours else 0 end) as sleep_hours
    from segments
    group by shift_id

),

final as (

    select
        ---------- ids
        cast(shifts.shift_id as varchar) as shift_id,
        cast(shifts.schedule_id as varchar) as schedule_id,
        cast(shifts.tool_user_id as varchar) as tool_user_id,

        ---------- strings
        cast(shifts.source as varchar) as source,
        cast(shifts.schedule_name as varchar) as schedule_name,
        cast(shifts.person_email as varchar) as person_email,
        cast(shifts.timezone as varchar) as timezone,

        ---------- numerics
        cast(shifts.escalation_level as integer) as escalation_level,
        cast(
            case
                when shifts.counted_end_at is not null
                    then {{ seconds_between('shifts.start_at', 'shifts.counted_end_at') }} / 3600.0
            end as double precision
        ) as hours,
        cast(
            case
                when shifts.counted_end_at is not null
                    then coalesce(band_hours.business_hours, 0)
            end as double precision
        ) as business_hours,
        cast(
            case
                when shifts.counted_end_at is not null
                    then coalesce(band_hours.off_hours, 0)
            end as double precision
        ) as off_hours,
        cast(
            case
                when shifts.counted_end_at is not null
                    then coalesce(band_hours.sleep_hours, 0)
            end as double precision
        ) as sleep_hours,

        ---------- booleans
        shifts.has_timezone,

        ---------- timestamps
        cast(shifts.start_at as timestamptz) as start_at,
        cast(shifts.end_at as timestamptz) as end_at,
        cast(shifts.counted_until as timestamptz) as counted_until

    from shifts
    left join band_hours
        on shifts.shift_id = band_hours.shift_id

)

select * from final
