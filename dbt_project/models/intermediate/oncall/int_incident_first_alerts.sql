-- One row per incident.io incident with an alert (docs/metrics.md#time-to-declare): the earliest
-- `created_at` of its linked PagerDuty incident (int_incident_pagerduty_links) and of the incident.io
-- alerts tied to it by incident alerts (the alert's own `created_at`, else the time embedded in the
-- link when the alert is not synced).
with

pagerduty_links as (

    select * from {{ ref('int_incident_pagerduty_links') }}

),

pagerduty_incidents as (

    select * from {{ ref('stg_pagerduty__incidents') }}
    where deleted_at is null

),

incident_alerts as (

    select * from {{ ref('stg_incidentio__incident_alerts') }}
    where deleted_at is null

),

alerts as (

    select * from {{ ref('stg_incidentio__alerts') }}
    where deleted_at is null

),

alert_times as (

    select
        pagerduty_links.incident_id,
        'pagerduty' as alert_source,
        pagerduty_incidents.created_at as alerted_at
    from pagerduty_links
    inner join pagerduty_incidents
        on pagerduty_links.pagerduty_incident_id = pagerduty_incidents.pagerduty_incident_id

    union all

    select
        incident_alerts.incident_id,
        'incidentio' as alert_source,
        coalesce(alerts.created_at, incident_alerts.alert_created_at) as alerted_at
    from incident_alerts
    left join alerts
        on incident_alerts.alert_id = alerts.alert_id

),

final as (

    select
        incident_id,
        min(alerted_at) as first_alert_at,
        cast(count(*) as integer) as alert_count,
        cast(sum(case when alert_source = 'incidentio' then 1 else 0 end) as integer) as incidentio_alert_count
    from alert_times
    where incident_id is not null and alerted_at is not null
    group by incident_id

)

select * from final
