-- One row per account of a person in one of the four tools: people are matched across tools by
-- lower-cased email (docs/metrics.md#people). A Slack account without an email (deleted users lose it) is matched
-- through the incident.io user whose `slack_user_id` points at it. Bots, Slackbot, guests and accounts
-- with no email and no such link are not people and give no row.
with

incidentio_users as (

    select * from {{ ref('stg_incidentio__users') }}
    where deleted_at is null

),

slack_users as (

    select * from {{ ref('stg_slack__users') }}
    where deleted_at is null

),

zoom_users as (

    select * from {{ ref('stg_zoom__users') }}
    where deleted_at is null

),

pagerduty_users as (

    select * from {{ ref('stg_pagerduty__users') }}
    where deleted_at is null

),

workspace_teams as (

    select distinct slack_team_id
    from {{ ref('stg_incidentio__incidents') }}
    where slack_team_id is not null and deleted_at is null

),

incidentio_accounts as (

    select
        'incidentio' as tool,
        incidentio_user_id as tool_user_id,
        email as person_email,
        user_name as account_name,
        cast(null as varchar) as timezone,
        is_active,
        'email' as match_method,
        true as is_directory_member
    from incidentio_users
    where email is not null

),

-- Slack ids that incident.io knows, one email each (the first incident.io user id if several).
incidentio_slack_links as (

    select
        slack_user_id,
        email,
        row_number() over (partition by slack_user_id order by is_active desc, incidentio_user_id asc) as link_order
    from incidentio_users
    where slack_user_id is not null and email is not null

),

slack_accounts as (

    select
        'slack' as tool,
        slack_users.slack_user_id as tool_user_id,
        coalesce(slack_users.email, incidentio_slack_links.email) as person_email,
        coalesce(slack_users.real_name, slack_users.username) as account_name,
        slack_users.timezone,
        not slack_users.is_deleted as is_active,
        case when slack_users.email is not null then 'email' else 'incidentio_slack_user_id' end as match_method,
        (
            not coalesce(slack_users.is_stranger, false)
            and not coalesce(slack_users.is_restricted, false)
            and not coalesce(slack_users.is_ultra_restricted, false)
            and (
                slack_users.team_id is null
                or not exists (select 1 from workspace_teams)
                or slack_users.team_id in (select workspace_teams.slack_team_id from workspace_teams)
            )
        ) as is_directory_member
    from slack_users
    left join incidentio_slack_links
        on
            slack_users.slack_user_id = incidentio_slack_links.slack_user_id
            and incidentio_slack_links.link_order = 1
    where
        not slack_users.is_bot
        and coalesce(slack_users.email, incidentio_slack_links.email) is not null

),

zoom_accounts as (

    select
        'zoom' as tool,
        zoom_user_id as tool_user_id,
        email as person_email,
        display_name as account_name,
        timezone,
        coalesce(user_status, 'active') = 'active' as is_active,
        'email' as match_method,
        true as is_directory_member
    from zoom_users
    where email is not null

),

pagerduty_accounts as (

    select
        'pagerduty' as tool,
        pagerduty_user_id as tool_user_id,
        email as person_email,
        user_name as account_name,
        time_zone as timezone,
        true as is_active,
        'email' as match_method,
        true as is_directory_member
    from pagerduty_users
    where email is not null

),

accounts as (

    select * from incidentio_accounts
    union all
    select * from slack_accounts
    union all
    select * from zoom_accounts
    union all
    select * from pagerduty_accounts

),

normalised as (

    select
        tool,
        tool_user_id,
        lower(trim(person_email)) as person_email,
        account_name,
        timezone,
        is_active,
        match_method,
        is_directory_member
    from accounts

),

final as (

    select
        *,
        bool_or(is_directory_member) over (partition by person_email) as is_person
    from normalised

)

select * from final
