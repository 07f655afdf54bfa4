-- One row per team × person (docs/metrics.md#teams): the union of the team's incident.io members and
-- the PagerDuty users in its PagerDuty twin, by lower-cased email, with the tool(s) that list them.
with

members as (

    select * from {{ ref('int_team_members') }}

),

final as (

    select
        cast(team_id as varchar) as team_id,
        cast(person_email as varchar) as person_email,
        cast(is_incidentio_member as boolean) as is_incidentio_member,
        cast(is_pagerduty_member as boolean) as is_pagerduty_member
    from members

)

select * from final
