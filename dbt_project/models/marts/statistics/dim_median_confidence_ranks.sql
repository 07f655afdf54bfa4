-- One row per sample size n (1 to 100,000): the 1-based ranks of the order statistics that bound the
-- distribution-free 95% confidence interval of a median of n values, [x(lower_rank), x(upper_rank)],
-- exactly as every metric mart computes it (macros/median_confidence.sql): exact binomial ranks up to
-- n = 2000 (int_median_confidence_ranks), the normal approximation beyond; null ranks below n = 6.
-- This is the one home of the rule for readers outside dbt: the dashboard computes a median's interval
-- for any filtered set by sorting its values and picking these two ranks, instead of restating the
-- binomial rule. `coverage` is exact up to 2000 and null beyond (the approximation's is >= 95%).
with

sample_sizes as (

    select cast(sample_size as integer) as sample_size
    from generate_series(1, 100000) as sizes (sample_size)

),

ranks as (

    select
        sample_sizes.sample_size,
        {{ median_ci_lower_rank('confidence_ranks', 'sample_sizes.sample_size') }} as lower_rank,
        confidence_ranks.coverage
    from sample_sizes
    left join {{ ref('int_median_confidence_ranks') }} as confidence_ranks
        on sample_sizes.sample_size = confidence_ranks.sample_size

),

final as (

    select
        cast(sample_size as integer) as sample_size,
        cast(lower_rank as integer) as lower_rank,
        cast(sample_size + 1 - lower_rank as integer) as upper_rank,
        cast(coverage as double precision) as coverage
    from ranks

)

select * from final
