-- One row per person (lower-cased email) with their account in each tool. When a tool holds several
-- accounts for one email, the active one wins, then the smallest id. The name is incident.io's, else
-- Slack's, Zoom's, PagerDuty's; the time zone is PagerDuty's (the zone pages are judged in), else
-- Slack's, else Zoom's (incident.io users carry none). Only people (an email with an account in one of
-- the organisation's directories, `is_person`) get a row: external guests, Slack Connect users and
-- unknown emails never do.
with

accounts as (

    select * from {{ ref('int_person_tool_accounts') }}
    where is_person

),

ranked as (

    select
        *,
        row_number() over (
            partition by person_email, tool
            order by is_directory_member desc, is_active desc, tool_user_id asc
        ) as account_order
    from accounts

),

chosen as (

    select * from ranked
    where account_order = 1

),

pivoted as (

    select
        person_email,
        max(case when tool = 'incidentio' then tool_user_id end) as incidentio_user_id,
        max(case when tool = 'slack' then tool_user_id end) as slack_user_id,
        max(case when tool = 'zoom' then tool_user_id end) as zoom_user_id,
        max(case when tool = 'pagerduty' then tool_user_id end) as pagerduty_user_id,
        max(case when tool = 'incidentio' then account_name end) as incidentio_name,
        max(case when tool = 'slack' then account_name end) as slack_name,
        max(case when tool = 'zoom' then account_name end) as zoom_name,
        max(case when tool = 'pagerduty' then account_name end) as pagerduty_name,
        max(case when tool = 'pagerduty' then timezone end) as pagerduty_timezone,
        max(case when tool = 'slack' then timezone end) as slack_timezone,
        max(case when tool = 'zoom' then timezone end) as zoom_timezone,
        max(case when tool = 'incidentio' then cast(is_active as integer) end) as incidentio_active,
        max(case when tool = 'slack' then cast(is_active as integer) end) as slack_active,
        count(*) as tool_count
    from chosen
    group by person_email

),

final as (

    select
        person_email,
        coalesce(incidentio_name, slack_name, zoom_name, pagerduty_name) as person_name,
        incidentio_user_id,
        slack_user_id,
        zoom_user_id,
        pagerduty_user_id,
        coalesce(pagerduty_timezone, slack_timezone, zoom_timezone) as timezone,
        case
            when pagerduty_timezone is not null then 'pagerduty'
            when slack_timezone is not null then 'slack'
            when zoom_timezone is not null then 'zoom'
        end as timezone_source,
        cast(tool_count as integer) as tool_count,
        -- A former employee: inactive in incident.io or deleted in Slack.
        (coalesce(incidentio_active, 1) = 0 or coalesce(slack_active, 1) = 0) as is_former
    from pivoted

)

select * from final
