{#
    Distribution-free 95% confidence interval for a median, from order statistics: with n values
    sorted x(1) <= … <= x(n), the interval is [x(l), x(n − l + 1)] where l is the largest rank with
    P(B <= l − 1) <= 0.025 for B ~ binomial(n, 0.5), so its coverage is at least 95%
    (1 − 2·P(B <= l − 1)). The ranks come from int_median_confidence_ranks (exact, n = 1 … 2000);
    beyond 2000 from the normal approximation floor((n + 1 − 1.959964·√n) / 2), which is the exact rank
    or one lower (a slightly wider interval). For n < 6 no rank has the coverage: the bounds are null.

    Use: left join int_median_confidence_ranks as <alias> on <alias>.sample_size = <n>, then
    median_ci_lower_rank(<alias>, <n>) / median_ci_upper_rank(<alias>, <n>) give the ranks.
#}
{% macro median_ci_lower_rank(ranks_alias, sample_size) -%}
    coalesce(
        {{ ranks_alias }}.lower_rank,
        case
            when {{ sample_size }} > 2000
                then cast(floor(({{ sample_size }} + 1 - 1.959964 * sqrt({{ sample_size }})) / 2) as integer)
        end
    )
{%- endmacro %}

{% macro median_ci_upper_rank(ranks_alias, sample_size) -%}
    ({{ sample_size }} + 1 - {{ median_ci_lower_rank(ranks_alias, sample_size) }})
{%- endmacro %}


{#
    A select giving, per group of `from_relation`, the bounds of the 95% confidence interval for the
    median of `value_column` (columns `median_ci_lower` and `median_ci_upper`; null below 6 values).
    Join it back on the group columns with `is not distinct from` (a group column may be null).
#}
{% macro median_ci_bounds(from_relation, group_columns, value_column) -%}
    select
        {% for column in group_columns -%}
        ranked.{{ column }},
        {% endfor -%}
        max(
            case
                when ranked.value_rank = {{ median_ci_lower_rank('confidence_ranks', 'ranked.value_count') }}
                    then ranked.ci_value
            end
        ) as median_ci_lower,
        max(
            case
                when ranked.value_rank = {{ median_ci_upper_rank('confidence_ranks', 'ranked.value_count') }}
                    then ranked.ci_value
            end
        ) as median_ci_upper
    from (
        select
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            {{ value_column }} as ci_value,
            row_number() over (
                partition by {{ group_columns | join(', ') }} order by {{ value_column }}
            ) as value_rank,
            count(*) over (partition by {{ group_columns | join(', ') }}) as value_count
        from {{ from_relation }}
        where {{ value_column }} is not null
    ) as ranked
    left join {{ ref('int_median_confidence_ranks') }} as confidence_ranks
        on ranked.value_count = confidence_ranks.sample_size
    group by {{ group_columns | join(', ') }}
{%- endmacro %}
