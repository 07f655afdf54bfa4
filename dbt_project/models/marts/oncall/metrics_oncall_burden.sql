-- On-call burden per person × ISO week (Monday, UTC) (docs/metrics.md#on-call-burden), a row per
-- person-week with any on-call hours or any page. It is also the on-call hours report used for
-- compensation (person, week, hours by band):
--   oncall_hours           the length of the union of the person's shifts of both tools in that week,
--                          as of the build (int_oncall_coverage_spans), cut at Monday 00:00 UTC;
--   business/off/sleep_hours  those hours split into bands in the person's time zone (they add up to
--                          oncall_hours; the rule is macros/oncall_rules.sql);
--   page_count             their pages (fct_pages) notified that week;
--   off_hours_page_count / sleep_hour_page_count  those in the off band / the sleep band;
--   pages_outside_shift_count  those when they had no shift in either tool.
with

spans as (

    select * from {{ ref('int_oncall_coverage_spans') }}

),

pages as (

    select * from {{ ref('fct_pages') }}
    where person_email is not null

),

segments as (

    {{ hour_band_segments('spans', ['person_email']) }}

),

-- A band segment is at most 10 hours long, so it crosses at most one Monday 00:00 UTC: it is cut there
-- into the part before (week_part 0) and the part after (week_part 1).
segment_weeks as (

    select
        segments.person_email,
        segments.band,
        segments.segment_start,
        segments.segment_end,
        week_part.part,
        {{ utc_week('segments.segment_start') }} as start_week,
        cast({{ utc_week('segments.segment_start') }} as timestamp) at time zone 'UTC' as start_week_at
    from segments
    cross join (values (0), (1)) as week_part (part)

),

week_pieces as (

    select
        person_email,
        band,
        case when part = 0 then start_week else cast(start_week + 7 as date) end as week,
        case
            when part = 0 then segment_start
            else {{ add_seconds('start_week_at', 7 * 86400) }}
        end as piece_start,
        case
            when part = 0 and segment_end > {{ add_seconds('start_week_at', 7 * 86400) }}
                then {{ add_seconds('start_week_at', 7 * 86400) }}
            else segment_end
        end as piece_end
    from segment_weeks

),

weekly_hours as (

    select
        person_email,
        week,
        sum({{ seconds_between('piece_start', 'piece_end') }}) / 3600.0 as oncall_hours,
        sum(case when band = 'business' then {{ seconds_between('piece_start', 'piece_end') }} else 0 end)
        / 3600.0 as business_hours,
        sum(case when band = 'off' then {{ seconds_between('piece_start', 'piece_end') }} else 0 end)
        / 3600.0 as off_hours,
        sum(case when band = 'sleep' then {{ seconds_between('piece_start', 'piece_end') }} else 0 end)
        / 3600.0 as sleep_hours
    from week_pieces
    where piece_end > piece_start
    group by person_email, week

),

weekly_pages as (

    select
        person_email,
        {{ utc_week('notified_at') }} as week,
        count(*) as page_count,
        sum(case when hour_band = 'off' then 1 else 0 end) as off_hours_page_count,
        sum(case when is_sleep_hour then 1 else 0 end) as sleep_hour_page_count,
        sum(case when during_oncall_shift then 0 else 1 end) as pages_outside_shift_count
    from pages
    group by person_email, {{ utc_week('notified_at') }}

),

person_weeks as (

    select
        person_email,
        week
    from weekly_hours
    union
    select
        person_email,
        week
    from weekly_pages

),

final as (

    select
        cast(person_weeks.person_email as varchar) as person_email,
        cast(person_weeks.week as date) as week,
        cast(coalesce(weekly_hours.oncall_hours, 0) as double precision) as oncall_hours,
        cast(coalesce(weekly_hours.business_hours, 0) as double precision) as business_hours,
        cast(coalesce(weekly_hours.off_hours, 0) as double precision) as off_hours,
        cast(coalesce(weekly_hours.sleep_hours, 0) as double precision) as sleep_hours,
        cast(coalesce(weekly_pages.page_count, 0) as integer) as page_count,
        cast(coalesce(weekly_pages.off_hours_page_count, 0) as integer) as off_hours_page_count,
        cast(coalesce(weekly_pages.sleep_hour_page_count, 0) as integer) as sleep_hour_page_count,
        cast(coalesce(weekly_pages.pages_outside_shift_count, 0) as integer) as pages_outside_shift_count
    from person_weeks
    left join weekly_hours
        on person_weeks.person_email = weekly_hours.person_email and person_weeks.week = weekly_hours.week
    left join weekly_pages
        on person_weeks.person_email = weekly_pages.person_email and person_weeks.week = weekly_pages.week

)

select * from final
