-- One row per sample size n (1 to 2000): the ranks of the order statistics that bound a
-- distribution-free 95% confidence interval for the median. With B ~ binomial(n, 0.5), the lower
-- rank l is the largest with P(B <= l − 1) <= 0.025; the interval [x(l), x(n − l + 1)] then covers
-- the median with probability 1 − 2·P(B <= l − 1) >= 95%, whatever the distribution. For n < 6 no
-- such rank exists: `lower_rank` is null. The binomial CDF is summed in log space
-- (log C(n, k) = Σ log((n − j + 1) / j)), exact to double precision; 2^-n underflows to 0 only
-- for terms far below 0.025. A table, not a view: the metric marts join it several times.
-- Incremental (docs/metrics.md#incremental-builds): it reads no data, so a build after the first adds
-- nothing (a million terms summed again for the same 2000 rows); a change to this SQL needs --full-refresh.
{{ config(materialized='incremental', unique_key='sample_size') }}

with

sample_sizes as (

    select cast(sample_size as integer) as sample_size
    from generate_series(1, 2000) as sizes (sample_size)
    {% if is_incremental() %}
        where false
    {% endif %}

),

terms as (

    select
        sample_sizes.sample_size,
        cast(ks.k as integer) as k,
        case
            when ks.k = 0 then 0.0
            else ln(cast(sample_sizes.sample_size - ks.k + 1 as double precision)) - ln(cast(ks.k as double precision))
        end as log_ratio
    from sample_sizes
    cross join lateral generate_series(0, cast(floor(sample_sizes.sample_size / 2.0) as integer)) as ks (k)

),

log_binomials as (

    select
        sample_size,
        k,
        sum(log_ratio) over (
            partition by sample_size order by k rows between unbounded preceding and current row
        ) - sample_size * ln(2.0) as log_probability
    from terms

),

cumulative as (

    select
        sample_size,
        k,
        -- exp() of a very negative number underflows to an error on Postgres: those terms are 0.
        sum(case when log_probability < -700 then 0.0 else exp(log_probability) end) over (
            partition by sample_size order by k rows between unbounded preceding and current row
        ) as cumulative_probability
    from log_binomials

),

lower_ranks as (

    select
        sample_size,
        max(case when cumulative_probability <= 0.025 then k + 1 end) as lower_rank,
        max(case when cumulative_probability <= 0.025 then cumulative_probability end) as tail_probability
    from cumulative
    group by sample_size

),

final as (

    select
        sample_size,
        cast(lower_rank as integer) as lower_rank,
        cast(sample_size + 1 - lower_rank as integer) as upper_rank,
        cast(1 - 2 * tail_probability as double precision) as coverage
    from lower_ranks

)

select * from final
