-- metrics_mttr counts every incident of fct_incidents with is_in_metrics exactly once, and its
-- resolved_count matches theirs: no incident lost or double counted by the month × severity grouping
-- (e.g. a null severity or a null month dropping out).
with

expected as (

    select
        count(*) as incident_count,
        count(resolved_at) as resolved_count
    from {{ ref('fct_incidents') }}
    where is_in_metrics

),

actual as (

    select
        coalesce(sum(incident_count), 0) as incident_count,
        coalesce(sum(resolved_count), 0) as resolved_count
    from {{ ref('metrics_mttr') }}

)

select
    expected.incident_count as expected_incident_count,
    actual.incident_count as actual_incident_count,
    expected.resolved_count as expected_resolved_count,
    actual.resolved_count as actual_resolved_count
from expected
cross join actual
where
    expected.incident_count <> actual.incident_count
    or expected.resolved_count <> actual.resolved_count
