-- One row per team × person (docs/metrics.md#teams): the team's incident.io members and the PagerDuty
-- users whose `teams[]` hold its PagerDuty twin, unioned by lower-cased email (people are matched
-- across the tools by email). Members without an email cannot be matched and are left out.
with

teams as (

    select * from {{ ref('int_teams') }}

),

incidentio_members as (

    select
        teams.team_id,
        members.email as person_email
    from {{ ref('stg_incidentio__team_members') }} as members
    inner join teams
        on members.team_id = teams.incidentio_team_id
    where members.deleted_at is null and members.email is not null

),

pagerduty_members as (

    select
        teams.team_id,
        user_teams.email as person_email
    from {{ ref('stg_pagerduty__user_teams') }} as user_teams
    inner join teams
        on user_teams.pagerduty_team_id = teams.pagerduty_team_id
    where user_teams.deleted_at is null and user_teams.email is not null

),

memberships as (

    select
        team_id,
        person_email,
        true as is_incidentio_member,
        false as is_pagerduty_member
    from incidentio_members
    union all
    select
        team_id,
        person_email,
        false as is_incidentio_member,
        true as is_pagerduty_member
    from pagerduty_members

),

final as (

    select
        team_id,
        person_email,
        bool_or(is_incidentio_member) as is_incidentio_member,
        bool_or(is_pagerduty_member) as is_pagerduty_member
    from memberships
    group by team_id, person_email

)

select * from final
