{#
    Every row satisfies `expression` (a boolean SQL expression over the model's columns);
    rows where it is false are returned. A null result counts as a pass, so write
    `coalesce(...)` when null must fail.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
