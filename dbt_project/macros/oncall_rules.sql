{#
    On-call rules (docs/metrics.md#on-call), each defined once here and used by every model that needs it.
#}

{#
    The instant "now" of a build: hours of on-call shifts are counted up to it (a running shift counts
    up to the build, a future one counts 0 hours). The `build_time` var (an ISO timestamp with a zone)
    fixes it, so unit tests and reruns can pin it; without it, the start of the dbt invocation
    (`run_started_at`, UTC), the same instant for every model of one build (views included), where
    `current_timestamp` would differ from model to model.
#}
{% macro build_time() -%}
    {%- if var('build_time', none) -%}
        cast('{{ var("build_time") }}' as timestamptz)
    {%- else -%}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00:00' as timestamptz)
    {%- endif -%}
{%- endmacro %}


{#
    The local wall-clock hours that bound the hour bands (docs/metrics.md#hour-bands): business hours are
    Monday-Friday from `business_start` to `business_end`, sleep hours every day from `sleep_start` to the
    next `business_start`, off hours the rest.
#}
{% macro hour_band_bounds() -%}
    {{ return({'business_start': 8, 'business_end': 18, 'sleep_start': 22}) }}
{%- endmacro %}


{#
    The band ('business', 'off' or 'sleep') of an instant (a timestamptz) on the wall clock of an IANA
    time zone held in a column, daylight saving time applied for that very instant.
#}
{% macro hour_band(timestamp_column, timezone_column) -%}
    {%- set bounds = hour_band_bounds() -%}
    {%- set hour = local_hour(timestamp_column, timezone_column) -%}
    (
        case
            when {{ hour }} >= {{ bounds.sleep_start }} or {{ hour }} < {{ bounds.business_start }} then 'sleep'
            when
                {{ local_iso_weekday(timestamp_column, timezone_column) }} <= 5
                and {{ hour }} < {{ bounds.business_end }}
                then 'business'
            else 'off'
        end
    )
{%- endmacro %}


{# True when an instant falls in the sleep band of a time zone (22:00-08:00 local). #}
{% macro is_sleep_hour(timestamp_column, timezone_column) -%}
    ({{ hour_band(timestamp_column, timezone_column) }} = 'sleep')
{%- endmacro %}


{#
    The ISO day of the week (1 = Monday … 7 = Sunday) of an instant on the wall clock of a time zone.
#}
{% macro local_iso_weekday(timestamp_column, timezone_column) -%}
    cast(extract(isodow from ({{ timestamp_column }} at time zone {{ timezone_column }})) as integer)
{%- endmacro %}


{#
    A select of the band segments of intervals: one row per (interval, band period) they overlap, the
    overlap cut to the interval. `relation` is a CTE or relation with the columns `start_at`, `end_at`
    (timestamptz, [start_at, end_at)) and `timezone` (IANA, never null), plus the `key_columns` carried
    through. Each local date d from the start's to the day after the end's has three periods, whose
    bounds are local wall times turned into instants in that zone (so a night across a DST change is 9
    or 11 hours long): sleep [d-1 22:00, d 08:00), day [d 08:00, d 18:00) (business Monday-Friday, off
    at weekends), evening [d 18:00, d 22:00) (off). Local midnight is no bound: sleep runs across it.
    Output: key columns, `band`, `segment_start`, `segment_end`, `segment_hours` (double).
#}
{% macro hour_band_segments(relation, key_columns) -%}
    {%- set bounds = hour_band_bounds() -%}
    with

    band_intervals as (

        select
            {% for column in key_columns %}{{ column }}, {% endfor %}
            start_at,
            end_at,
            timezone
        from {{ relation }}
        where end_at > start_at

    ),

    periods as (

        select
            {% for column in key_columns %}band_intervals.{{ column }}, {% endfor %}
            band_intervals.start_at,
            band_intervals.end_at,
            case
                when period.period_kind = 'day' and extract(isodow from local_dates.local_day) <= 5 then 'business'
                when period.period_kind = 'sleep' then 'sleep'
                else 'off'
            end as band,
            {{ local_wall_time_to_utc(
                add_hours_to_local('cast(local_dates.local_day as timestamp)', 'period.from_hour'),
                'band_intervals.timezone'
            ) }} as period_start,
            {{ local_wall_time_to_utc(
                add_hours_to_local('cast(local_dates.local_day as timestamp)', 'period.to_hour'),
                'band_intervals.timezone'
            ) }} as period_end
        from band_intervals
        {{ local_dates('band_intervals.start_at', 'band_intervals.end_at', 'band_intervals.timezone', 'local_dates') }}
        cross join (
            values
            ('sleep', {{ bounds.sleep_start - 24 }}, {{ bounds.business_start }}),
            ('day', {{ bounds.business_start }}, {{ bounds.business_end }}),
            ('evening', {{ bounds.business_end }}, {{ bounds.sleep_start }})
        ) as period (period_kind, from_hour, to_hour)

    ),

    segments as (

        select
            {% for column in key_columns %}{{ column }}, {% endfor %}
            band,
            case when period_start > start_at then period_start else start_at end as segment_start,
            case when period_end < end_at then period_end else end_at end as segment_end
        from periods

    )

    select
        {% for column in key_columns %}{{ column }}, {% endfor %}
        band,
        segment_start,
        segment_end,
        {{ seconds_between('segment_start', 'segment_end') }} / 3600.0 as segment_hours
    from segments
    where segment_end > segment_start
{%- endmacro %}


{#
    A join clause giving one row per local calendar date, in a time zone, from the date of `start_at`
    to the day after the date of `end_at` (both on that zone's wall clock), exposing `<alias>.local_day`
    (a date).
#}
{% macro local_dates(start_at, end_at, timezone_column, alias) -%}
    {{ return(adapter.dispatch('local_dates', 'incident_lake')(start_at, end_at, timezone_column, alias)) }}
{%- endmacro %}

{% macro duckdb__local_dates(start_at, end_at, timezone_column, alias) -%}
    cross join lateral (
        select cast(day_start as date) as local_day
        from generate_series(
            cast(cast({{ start_at }} at time zone {{ timezone_column }} as date) as timestamp),
            cast(cast({{ end_at }} at time zone {{ timezone_column }} as date) as timestamp) + interval 1 day,
            interval 1 day
        ) as day_series (day_start)
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__local_dates(start_at, end_at, timezone_column, alias) -%}
    cross join lateral (
        select cast(day_start as date) as local_day
        from generate_series(
            cast(cast({{ start_at }} at time zone {{ timezone_column }} as date) as timestamp),
            cast(cast({{ end_at }} at time zone {{ timezone_column }} as date) as timestamp) + interval '1 day',
            interval '1 day'
        ) as day_series (day_start)
    ) as {{ alias }}
{%- endmacro %}


{# A naive local timestamp moved by a whole number of hours (a column or literal; may be negative). #}
{% macro add_hours_to_local(local_timestamp, hours) -%}
    {{ return(adapter.dispatch('add_hours_to_local', 'incident_lake')(local_timestamp, hours)) }}
{%- endmacro %}

{% macro duckdb__add_hours_to_local(local_timestamp, hours) -%}
    ({{ local_timestamp }} + to_hours(cast({{ hours }} as bigint)))
{%- endmacro %}

{% macro postgres__add_hours_to_local(local_timestamp, hours) -%}
    ({{ local_timestamp }} + ({{ hours }}) * interval '1 hour')
{%- endmacro %}


{#
    A naive wall-clock timestamp of an IANA time zone (a column) as the instant (timestamptz) it names
    there, daylight saving time applied.
#}
{% macro local_wall_time_to_utc(local_timestamp, timezone_column) -%}
    {{ return(adapter.dispatch('local_wall_time_to_utc', 'incident_lake')(local_timestamp, timezone_column)) }}
{%- endmacro %}

{% macro duckdb__local_wall_time_to_utc(local_timestamp, timezone_column) -%}
    timezone({{ timezone_column }}, {{ local_timestamp }})
{%- endmacro %}

{% macro postgres__local_wall_time_to_utc(local_timestamp, timezone_column) -%}
    ({{ local_timestamp }} at time zone {{ timezone_column }})
{%- endmacro %}


{#
    The 60-second chaining of notifications into pages (docs/metrics.md#pages), shared by PagerDuty
    interruptions and incident.io escalation notifications: a notification starts a new page when it is
    the first of its chain (no previous notification to that user in that PagerDuty incident or
    escalation) or came more than `page_chain_seconds()` after the previous one; otherwise it joins the
    page of the previous one (a chain of notifications each within 60 s of the one before stays one page).
#}
{% macro page_chain_seconds() -%}
    {{ return(60) }}
{%- endmacro %}

{% macro starts_new_page(previous_notified_at, notified_at) -%}
    (
        {{ previous_notified_at }} is null
        or {{ seconds_between(previous_notified_at, notified_at) }} > {{ page_chain_seconds() }}
    )
{%- endmacro %}
