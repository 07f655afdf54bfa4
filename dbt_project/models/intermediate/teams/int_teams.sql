-- One row per team (docs/metrics.md#teams): every incident.io team and every PagerDuty team, where an
-- incident.io team and a PagerDuty team whose names are equal once trimmed and lower-cased are one
-- team (people spell twins `core platform`, `Growth `, `DATA`). `team_id` is the incident.io team id,
-- else 'pagerduty:<PagerDuty team id>'; a matched team keeps its incident.io name, as incident.io
-- spells it (not trimmed). When two teams of one tool share a name key, only the one with the smallest
-- id is matched (so a team id never appears twice); the others stay teams of their own.
with

incidentio_teams as (

    select
        team_id,
        team_name,
        catalog_entry_id,
        lower(trim(team_name)) as team_key
    from {{ ref('stg_incidentio__teams') }}
    where deleted_at is null

),

pagerduty_teams as (

    select
        pagerduty_team_id,
        team_name,
        lower(trim(team_name)) as team_key
    from {{ ref('stg_pagerduty__teams') }}
    where deleted_at is null

),

incidentio_keyed as (

    select
        *,
        case
            when row_number() over (partition by team_key order by team_id) = 1 then team_key
        end as match_key
    from incidentio_teams

),

pagerduty_keyed as (

    select
        *,
        case
            when row_number() over (partition by team_key order by pagerduty_team_id) = 1 then team_key
        end as match_key
    from pagerduty_teams

),

matched as (

    select
        coalesce(incidentio_keyed.team_id, 'pagerduty:' || pagerduty_keyed.pagerduty_team_id) as team_id,
        coalesce(incidentio_keyed.team_name, pagerduty_keyed.team_name) as team_name,
        coalesce(incidentio_keyed.team_key, pagerduty_keyed.team_key) as team_key,
        incidentio_keyed.team_id as incidentio_team_id,
        pagerduty_keyed.pagerduty_team_id,
        incidentio_keyed.catalog_entry_id,
        pagerduty_keyed.team_name as pagerduty_team_name
    from incidentio_keyed
    full outer join pagerduty_keyed
        on incidentio_keyed.match_key = pagerduty_keyed.match_key

)

select * from matched
