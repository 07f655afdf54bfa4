{#
    The first capture group of `pattern` in `expression`, or null when it does not match.
    The pattern must hold exactly one capture group.
#}
{% macro regex_capture(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_capture', 'incident_lake')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro postgres__regex_capture(expression, pattern) -%}
    (regexp_match({{ expression }}, '{{ pattern }}'))[1]
{%- endmacro %}


{# True when `expression` matches `pattern` (regular expression, case-sensitive). #}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'incident_lake')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}


{# Empty or blank text as null: the APIs send '' for "not set" (Slack channel id, Zoom email). #}
{% macro empty_to_null(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}


{# `expression` with the first match of `pattern` replaced by `replacement` (regular expression). #}
{% macro regex_replace(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'incident_lake')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro postgres__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
