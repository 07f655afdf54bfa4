{#
    The columns together identify a row. Nulls compare equal (grouping semantics), so a null in a
    key column (e.g. the null-severity group of metrics_mttr) is still checked. dbt_utils has this
    test but packages cannot be downloaded here, so the project carries its own.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as row_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
