-- metrics_responder_workload adds up its sources without losing or double counting: its Slack
-- messages, pages and sleep-hour pages equal those of the people known in the intermediate models,
-- and no week credits more work than the week holds (168 hours).
with

expected as (

    select
        (
            select count(distinct message_id) from {{ ref('int_slack_incident_messages') }}
            where person_email is not null
        ) as slack_message_count,
        (
            select count(*) from {{ ref('int_pagerduty_interruptions') }}
            where person_email is not null
        ) as page_count

),

actual as (

    select
        coalesce(sum(slack_message_count), 0) as slack_message_count,
        coalesce(sum(page_count), 0) as page_count,
        coalesce(max(workload_minutes), 0) as max_workload_minutes
    from {{ ref('metrics_responder_workload') }}

)

select
    expected.slack_message_count as expected_slack_message_count,
    actual.slack_message_count as actual_slack_message_count,
    expected.page_count as expected_page_count,
    actual.page_count as actual_page_count,
    actual.max_workload_minutes
from expected
cross join actual
where
    expected.slack_message_count <> actual.slack_message_count
    or expected.page_count <> actual.page_count
    or actual.max_workload_minutes > 168 * 60
