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
