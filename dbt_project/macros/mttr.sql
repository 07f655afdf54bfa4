{#
    The MTTR rule (docs/metrics.md#mttr), the one home shared by metrics_mttr and metrics_mttr_by_team.

    mttr_incidents(): the measured incidents, `fct_incidents` rows with `is_in_metrics`, each with its
    `month` (UTC) of `reported_at`.
#}
{% macro mttr_incidents() -%}
    select
        *,
        {{ utc_month('reported_at') }} as month
    from {{ ref('fct_incidents') }}
    where is_in_metrics
{%- endmacro %}


{#
    The MTTR aggregates of a group of mttr_incidents() rows: `incident_count` counts them all,
    `resolved_count` those with a `resolved_at`; mean, median and p90 are over the non-null
    `time_to_resolve_seconds` (`duration_count` of them; `invalid_duration_count` were left out for an
    end before the start). Raw values: mttr_columns() casts and rounds them.
#}
{% macro mttr_aggregates() -%}
    count(*) as incident_count,
    count(resolved_at) as resolved_count,
    count(time_to_resolve_seconds) as duration_count,
    sum(case when is_resolve_duration_invalid then 1 else 0 end) as invalid_duration_count,
    avg(time_to_resolve_seconds) as mttr_mean_seconds,
    {{ percentile_cont('time_to_resolve_seconds', 0.5) }} as mttr_median_seconds,
    {{ percentile_cont('time_to_resolve_seconds', 0.9) }} as mttr_p90_seconds
{%- endmacro %}


{#
    The contracted columns of mttr_aggregates(), read from `relation` (a CTE alias): counts as integers,
    statistics rounded to the microsecond (the timestamps' precision) so float noise does not leak out.
#}
{% macro mttr_columns(relation) -%}
    cast({{ relation }}.incident_count as integer) as incident_count,
    cast({{ relation }}.resolved_count as integer) as resolved_count,
    cast({{ relation }}.duration_count as integer) as duration_count,
    cast({{ relation }}.invalid_duration_count as integer) as invalid_duration_count,
    cast({{ round_double(relation ~ '.mttr_mean_seconds', 6) }} as double precision) as mttr_mean_seconds,
    cast({{ round_double(relation ~ '.mttr_median_seconds', 6) }} as double precision) as mttr_median_seconds,
    cast({{ round_double(relation ~ '.mttr_p90_seconds', 6) }} as double precision) as mttr_p90_seconds
{%- endmacro %}
