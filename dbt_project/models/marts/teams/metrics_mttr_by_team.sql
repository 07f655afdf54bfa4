-- Mean time to resolve per month of `reported_at` (UTC) × team × severity (docs/metrics.md#teams):
-- metrics_mttr's rules (macros/mttr.sql: `is_in_metrics` incidents, mean, median and p90 over the
-- non-null `time_to_resolve_seconds`) per team of fct_incident_teams. An incident with two teams counts
-- once in each; incidents with no team form the group `team_id` null, `team_name` null; incidents
-- without a severity the group `severity_name` null. Next to the median, its 95% confidence interval.
with

measured as (

    {{ mttr_incidents() }}

),

incident_teams as (

    select
        fct_incident_teams.incident_id,
        fct_incident_teams.team_id,
        dim_teams.team_name
    from {{ ref('fct_incident_teams') }} as fct_incident_teams
    inner join {{ ref('dim_teams') }} as dim_teams
        on fct_incident_teams.team_id = dim_teams.team_id

),

incidents as (

    select
        measured.*,
        incident_teams.team_id,
        incident_teams.team_name
    from measured
    left join incident_teams
        on measured.incident_id = incident_teams.incident_id

),

monthly as (

    select
        month,
        team_id,
        max(team_name) as team_name,
        severity_name,
        max(severity_rank) as severity_rank,
        {{ mttr_aggregates() }}
    from incidents
    group by month, team_id, severity_name

),

median_bounds as (

    {{ median_ci_bounds('incidents', ['month', 'team_id', 'severity_name'], 'time_to_resolve_seconds') }}

),

joined as (

    select
        monthly.*,
        median_bounds.median_ci_lower as median_ci_lower_seconds,
        median_bounds.median_ci_upper as median_ci_upper_seconds
    from monthly
    left join median_bounds
        on
            monthly.month = median_bounds.month
            and monthly.team_id is not distinct from median_bounds.team_id
            and monthly.severity_name is not distinct from median_bounds.severity_name

),

final as (

    select
        cast(month as date) as month,
        cast(team_id as varchar) as team_id,
        cast(team_name as varchar) as team_name,
        cast(severity_name as varchar) as severity_name,
        cast(severity_rank as integer) as severity_rank,
        {{ mttr_columns('joined') }},
        cast({{ round_double('median_ci_lower_seconds', 6) }} as double precision) as mttr_median_ci_lower_seconds,
        cast({{ round_double('median_ci_upper_seconds', 6) }} as double precision) as mttr_median_ci_upper_seconds
    from joined

)

select * from final
