{#
    Continuous percentile: linear interpolation between ranks (docs/metrics.md#conventions), over non-null values.
    `fraction` in [0, 1], e.g. 0.5 for the median, 0.9 for p90.
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'incident_lake')(expression, fraction)) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro postgres__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}


{# A double rounded to `digits` decimals, still a double (Postgres rounds only numerics). #}
{% macro round_double(expression, digits) -%}
    {{ return(adapter.dispatch('round_double', 'incident_lake')(expression, digits)) }}
{%- endmacro %}

{% macro duckdb__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_double(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}
