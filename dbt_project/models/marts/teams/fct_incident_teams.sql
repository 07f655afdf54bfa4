-- One row per incident × team (docs/metrics.md#team-attribution), for incidents of every mode:
--   1. `custom_field`: a custom field value whose catalog entry is a team's catalog entry (any field,
--      e.g. a multi-select "Affected team" gives one row per team);
--   2. only when the incident has none: `pagerduty`, every team in `teams[]` of its linked PagerDuty
--      incident (int_incident_pagerduty_links) that is a known team;
--   3. else the incident has no row.
-- A team counts once per incident.
with

incidents as (

    select incident_id from {{ ref('fct_incidents') }}

),

teams as (

    select
        team_id,
        catalog_entry_id,
        pagerduty_team_id
    from {{ ref('dim_teams') }}

),

custom_field_teams as (

    select distinct
        field_values.incident_id,
        teams.team_id
    from {{ ref('fct_incident_field_values') }} as field_values
    inner join teams
        on field_values.catalog_entry_id = teams.catalog_entry_id

),

pagerduty_teams as (

    select distinct
        links.incident_id,
        teams.team_id
    from {{ ref('int_incident_pagerduty_links') }} as links
    inner join {{ ref('stg_pagerduty__incident_teams') }} as incident_teams
        on links.pagerduty_incident_id = incident_teams.pagerduty_incident_id
    inner join teams
        on incident_teams.pagerduty_team_id = teams.pagerduty_team_id
    where incident_teams.deleted_at is null

),

attributed as (

    select
        incident_id,
        team_id,
        'custom_field' as attributed_by
    from custom_field_teams
    union all
    select
        incident_id,
        team_id,
        'pagerduty' as attributed_by
    from pagerduty_teams
    where incident_id not in (select custom_field_teams.incident_id from custom_field_teams)

),

final as (

    select
        cast(attributed.incident_id as varchar) as incident_id,
        cast(attributed.team_id as varchar) as team_id,
        cast(attributed.attributed_by as varchar) as attributed_by
    from attributed
    inner join incidents
        on attributed.incident_id = incidents.incident_id

)

select * from final
