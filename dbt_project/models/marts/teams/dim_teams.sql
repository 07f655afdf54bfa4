-- One row per team (docs/metrics.md#teams): incident.io teams and PagerDuty teams, twins matched by
-- their trimmed, lower-cased names (int_teams). `member_count` counts the distinct lower-cased emails
-- of the team's members in either tool, now (int_team_members).
with

teams as (

    select * from {{ ref('int_teams') }}

),

members as (

    select
        team_id,
        count(*) as member_count,
        sum(case when is_incidentio_member then 1 else 0 end) as incidentio_member_count,
        sum(case when is_pagerduty_member then 1 else 0 end) as pagerduty_member_count
    from {{ ref('int_team_members') }}
    group by team_id

),

final as (

    select
        ---------- ids
        cast(teams.team_id as varchar) as team_id,
        cast(teams.incidentio_team_id as varchar) as incidentio_team_id,
        cast(teams.pagerduty_team_id as varchar) as pagerduty_team_id,
        cast(teams.catalog_entry_id as varchar) as catalog_entry_id,

        ---------- strings
        cast(teams.team_name as varchar) as team_name,
        cast(teams.pagerduty_team_name as varchar) as pagerduty_team_name,
        cast(teams.team_key as varchar) as team_key,
        cast(
            case
                when teams.incidentio_team_id is not null and teams.pagerduty_team_id is not null then 'both'
                when teams.incidentio_team_id is not null then 'incidentio'
                else 'pagerduty'
            end as varchar
        ) as team_source,

        ---------- numerics
        cast(coalesce(members.member_count, 0) as integer) as member_count,
        cast(coalesce(members.incidentio_member_count, 0) as integer) as incidentio_member_count,
        cast(coalesce(members.pagerduty_member_count, 0) as integer) as pagerduty_member_count

    from teams
    left join members
        on teams.team_id = members.team_id

)

select * from final
