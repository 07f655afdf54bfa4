-- Workload per team × ISO week (Monday, UTC) (docs/metrics.md#teams):
--   workload_minutes, page_count, sleep_hour_page_count  sums over the team's members (dim_team_members,
--                          as they are now) of their metrics_responder_workload row that week;
--   incident_count         the team's `is_in_metrics` incidents (fct_incident_teams) reported that week;
--   member_count           the team's members now (dim_teams).
-- A row for every team-week in which a member has a metrics_responder_workload row or the team has
-- such an incident. A person in two teams counts fully in each.
with

teams as (

    select * from {{ ref('dim_teams') }}

),

member_weeks as (

    select
        members.team_id,
        workload.week,
        sum(workload.workload_minutes) as workload_minutes,
        sum(workload.page_count) as page_count,
        sum(workload.sleep_hour_page_count) as sleep_hour_page_count,
        count(*) as active_member_count
    from {{ ref('dim_team_members') }} as members
    inner join {{ ref('metrics_responder_workload') }} as workload
        on members.person_email = workload.person_email
    group by members.team_id, workload.week

),

incident_weeks as (

    select
        incident_teams.team_id,
        {{ utc_week('incidents.reported_at') }} as week,
        count(distinct incident_teams.incident_id) as incident_count
    from {{ ref('fct_incident_teams') }} as incident_teams
    inner join {{ ref('fct_incidents') }} as incidents
        on incident_teams.incident_id = incidents.incident_id
    where incidents.is_in_metrics
    group by incident_teams.team_id, {{ utc_week('incidents.reported_at') }}

),

team_weeks as (

    select
        team_id,
        week
    from member_weeks
    union
    select
        team_id,
        week
    from incident_weeks

),

final as (

    select
        cast(team_weeks.team_id as varchar) as team_id,
        cast(teams.team_name as varchar) as team_name,
        cast(team_weeks.week as date) as week,
        cast(coalesce(teams.member_count, 0) as integer) as member_count,
        cast(coalesce(member_weeks.active_member_count, 0) as integer) as active_member_count,
        cast(coalesce(incident_weeks.incident_count, 0) as integer) as incident_count,
        cast({{ round_double('coalesce(member_weeks.workload_minutes, 0)', 6) }} as double precision)
            as workload_minutes,
        cast(coalesce(member_weeks.page_count, 0) as integer) as page_count,
        cast(coalesce(member_weeks.sleep_hour_page_count, 0) as integer) as sleep_hour_page_count
    from team_weeks
    inner join teams
        on team_weeks.team_id = teams.team_id
    left join member_weeks
        on team_weeks.team_id = member_weeks.team_id and team_weeks.week = member_weeks.week
    left join incident_weeks
        on team_weeks.team_id = incident_weeks.team_id and team_weeks.week = incident_weeks.week

)

select * from final
