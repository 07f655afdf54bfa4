-- Lead load per person × month of `reported_at` (UTC): how many incidents they led (held the lead
-- role of, as the incident record says now), how many of those count in metrics, the hours those
-- incidents were open, and the most incidents they led at the same time (open from reported_at to
-- resolved_at, or still open at the build).
with

incidents as (

    select
        incident_id,
        lead_email,
        is_in_metrics,
        reported_at,
        resolved_at,
        coalesce(resolved_at, {{ build_time() }}) as open_until,
        {{ utc_month('reported_at') }} as month
    from {{ ref('fct_incidents') }}
    where lead_email is not null

),

concurrent_leads as (

    select
        led.incident_id,
        count(*) as concurrent_led_count
    from incidents as led
    inner join incidents as other
        on
            led.lead_email = other.lead_email
            and led.reported_at >= other.reported_at
            and led.reported_at < other.open_until
    group by led.incident_id

),

monthly as (

    select
        incidents.lead_email,
        incidents.month,
        count(*) as led_incident_count,
        sum(case when incidents.is_in_metrics then 1 else 0 end) as led_in_metrics_count,
        sum(case when incidents.resolved_at is null then 1 else 0 end) as led_unresolved_count,
        sum(
            case
                when incidents.resolved_at >= incidents.reported_at
                    then {{ seconds_between('incidents.reported_at', 'incidents.resolved_at') }}
                else 0
            end
        ) / 3600.0 as led_resolved_hours,
        max(concurrent_leads.concurrent_led_count) as max_concurrent_led_incidents
    from incidents
    left join concurrent_leads
        on incidents.incident_id = concurrent_leads.incident_id
    group by incidents.lead_email, incidents.month

),

final as (

    select
        cast(lead_email as varchar) as lead_email,
        cast(month as date) as month,
        cast(led_incident_count as integer) as led_incident_count,
        cast(led_in_metrics_count as integer) as led_in_metrics_count,
        cast(led_unresolved_count as integer) as led_unresolved_count,
        cast({{ round_double('led_resolved_hours', 6) }} as double precision) as led_resolved_hours,
        cast(coalesce(max_concurrent_led_incidents, 1) as integer) as max_concurrent_led_incidents
    from monthly

)

select * from final
