{#
    Whether an incident counts in response metrics (docs/metrics.md): mode `standard` and a status
    category other than `declined`, `merged`, `canceled` or `triage`. Retrospective, test and tutorial
    incidents, and incidents that did not really happen, are kept in the marts but not measured. An
    unknown or new status category (e.g. `paused`) counts. This macro is the only definition;
    `fct_incidents.is_in_metrics` is its value per incident, and every reader (marts, dashboard,
    exports) reads that column instead of restating the rule.
#}
{% macro is_in_metrics(mode_column, status_category_column) -%}
    (
        coalesce({{ mode_column }} = 'standard', false)
        and {{ is_status_in_metrics(status_category_column) }}
    )
{%- endmacro %}

{# The status half of is_in_metrics: the incident really happened and is past triage, whatever its mode
   (the dashboard's toggle that adds retrospective, test and tutorial incidents reads this part alone). #}
{% macro is_status_in_metrics(status_category_column) -%}
    (
        coalesce({{ status_category_column }}, '') not in (
            {%- for category in metrics_excluded_status_categories() -%}
                '{{ category }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    )
{%- endmacro %}

{# The status categories left out of response metrics (see is_in_metrics). #}
{% macro metrics_excluded_status_categories() -%}
    {{ return(['declined', 'merged', 'canceled', 'triage']) }}
{%- endmacro %}
