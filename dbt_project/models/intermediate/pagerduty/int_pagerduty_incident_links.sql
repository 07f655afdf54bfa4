-- One row per PagerDuty incident linked from incident.io (docs/metrics.md#linking-the-tools, the reverse of
-- int_incident_pagerduty_links): the incident.io incident that links to it. Should several link to
-- the same PagerDuty incident, the one created first (then the smallest id) is chosen and
-- `linked_incident_count` says how many did.
with

links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

incidents as (

    select
        incident_id,
        created_at
    from {{ ref('stg_incidentio__incidents') }}
    where deleted_at is null

),

ranked as (

    select
        links.pagerduty_incident_id,
        links.incident_id,
        count(*) over (partition by links.pagerduty_incident_id) as linked_incident_count,
        row_number() over (
            partition by links.pagerduty_incident_id
            order by incidents.created_at, links.incident_id
        ) as link_order
    from links
    inner join incidents
        on links.incident_id = incidents.incident_id

),

final as (

    select
        pagerduty_incident_id,
        incident_id,
        cast(linked_incident_count as integer) as linked_incident_count
    from ranked
    where link_order = 1

)

select * from final
