{#
    Seconds from `start_at` to `end_at` as a double, to the microsecond (never truncated to
    minutes). Negative when the end is before the start: callers decide what that means.
#}
{% macro seconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('seconds_between', 'incident_lake')(start_at, end_at)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_at, end_at) -%}
    (cast(date_diff('microsecond', {{ start_at }}, {{ end_at }}) as double precision) / 1000000)
{%- endmacro %}

{% macro postgres__seconds_between(start_at, end_at) -%}
    cast(extract(epoch from ({{ end_at }} - {{ start_at }})) as double precision)
{%- endmacro %}


{#
    A Slack `ts` ('1741056130.004200': Unix seconds with microseconds, as text) as a UTC timestamptz,
    exact to the microsecond (no float rounding).
#}
{% macro slack_ts_to_timestamp(ts) -%}
    {{ return(adapter.dispatch('slack_ts_to_timestamp', 'incident_lake')(ts)) }}
{%- endmacro %}

{% macro duckdb__slack_ts_to_timestamp(ts) -%}
    (make_timestamp(cast(cast({{ ts }} as decimal(38, 6)) * 1000000 as bigint)) at time zone 'UTC')
{%- endmacro %}

{% macro postgres__slack_ts_to_timestamp(ts) -%}
    (timestamptz '1970-01-01 00:00:00+00' + cast({{ ts }} as numeric) * interval '1 second')
{%- endmacro %}


{# Unix seconds (an integer, as Slack's channel `created`) as a UTC timestamptz. #}
{% macro epoch_seconds_to_timestamp(seconds) -%}
    {{ return(adapter.dispatch('epoch_seconds_to_timestamp', 'incident_lake')(seconds)) }}
{%- endmacro %}

{% macro duckdb__epoch_seconds_to_timestamp(seconds) -%}
    to_timestamp(cast({{ seconds }} as bigint))
{%- endmacro %}

{% macro postgres__epoch_seconds_to_timestamp(seconds) -%}
    to_timestamp(cast({{ seconds }} as bigint))
{%- endmacro %}


{#
    The first day (a date) of the UTC calendar month of a timestamptz, whatever the session time zone.
    `at time zone 'UTC'` gives the naive UTC wall time on DuckDB and Postgres alike.
#}
{% macro utc_month(timestamp_column) -%}
    cast(date_trunc('month', {{ timestamp_column }} at time zone 'UTC') as date)
{%- endmacro %}


{#
    The Monday (a date) of the ISO week, in UTC, of a timestamptz: weeks start on Monday and are named
    by their Monday (docs/metrics.md#conventions). date_trunc('week', …) truncates to Monday on DuckDB
    and Postgres alike.
#}
{% macro utc_week(timestamp_column) -%}
    cast(date_trunc('week', {{ timestamp_column }} at time zone 'UTC') as date)
{%- endmacro %}


{# The start of the UTC clock hour holding a timestamptz, still a timestamptz. #}
{% macro utc_hour(timestamp_column) -%}
    (date_trunc('hour', {{ timestamp_column }} at time zone 'UTC') at time zone 'UTC')
{%- endmacro %}


{#
    The hour of the day (0-23) of a timestamptz on the wall clock of an IANA time zone held in a column
    (e.g. 'America/New_York'): daylight saving time is applied for that very instant.
#}
{% macro local_hour(timestamp_column, timezone_column) -%}
    cast(extract(hour from ({{ timestamp_column }} at time zone {{ timezone_column }})) as integer)
{%- endmacro %}


{# A timestamptz moved by a number of seconds (a double; microsecond precision). #}
{% macro add_seconds(timestamp_column, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'incident_lake')(timestamp_column, seconds)) }}
{%- endmacro %}

{% macro duckdb__add_seconds(timestamp_column, seconds) -%}
    ({{ timestamp_column }} + to_microseconds(cast(round(({{ seconds }}) * 1000000.0) as bigint)))
{%- endmacro %}

{% macro postgres__add_seconds(timestamp_column, seconds) -%}
    ({{ timestamp_column }} + ({{ seconds }}) * interval '1 second')
{%- endmacro %}


{#
    A join clause giving one row per UTC clock hour that the interval [start_at, end_at) overlaps,
    exposing `<alias>.hour_start` (timestamptz). An empty interval (end <= start) gives no row.
#}
{% macro clock_hours(start_at, end_at, alias) -%}
    {{ return(adapter.dispatch('clock_hours', 'incident_lake')(start_at, end_at, alias)) }}
{%- endmacro %}

{% macro duckdb__clock_hours(start_at, end_at, alias) -%}
    cross join lateral generate_series(
        {{ utc_hour(start_at) }},
        {{ end_at }} - interval 1 microsecond,
        interval 1 hour
    ) as {{ alias }} (hour_start)
{%- endmacro %}

{% macro postgres__clock_hours(start_at, end_at, alias) -%}
    cross join lateral generate_series(
        {{ utc_hour(start_at) }},
        {{ end_at }} - interval '1 microsecond',
        interval '1 hour'
    ) as {{ alias }} (hour_start)
{%- endmacro %}
