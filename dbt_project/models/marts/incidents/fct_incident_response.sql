-- One row per incident: how the response ran, beyond the contract (the definitions are in the
-- model's docs):
--   * time to the first status update, and the update cadence while the incident was open (updates
--     from reported_at to resolved_at; the mean and longest gap between consecutive ones);
--   * time to engage a lead, a proxy for "time to assign a lead": incident.io's API gives the current
--     lead but no assignment history, so the lead's first activity in the incident (an update, a Slack
--     message, an acknowledgement of the linked page, or joining the call) stands in for the moment
--     they took the role; activity before reported_at counts as 0 s (they were on it when it was reported).
with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

updates as (

    select * from {{ ref('int_incident_updates_sequenced') }}

),

activities as (

    select * from {{ ref('int_responder_activities') }}

),

update_summary as (

    select
        updates.incident_id,
        min(updates.created_at) as first_update_at,
        count(*) as update_count,
        sum(case when updates.is_status_change then 1 else 0 end) as status_change_count,
        sum(case when updates.is_severity_change and updates.update_number > 1 then 1 else 0 end)
            as severity_change_count
    from updates
    group by updates.incident_id

),

open_updates as (

    select
        updates.incident_id,
        updates.created_at,
        lag(updates.created_at) over (
            partition by updates.incident_id order by updates.update_number
        ) as previous_open_update_at
    from updates
    inner join incidents
        on updates.incident_id = incidents.incident_id
    where
        updates.created_at >= incidents.reported_at
        and (incidents.resolved_at is null or updates.created_at <= incidents.resolved_at)

),

cadence as (

    select
        incident_id,
        count(*) as open_update_count,
        avg({{ seconds_between('previous_open_update_at', 'created_at') }}) as mean_seconds_between_updates,
        max({{ seconds_between('previous_open_update_at', 'created_at') }}) as max_seconds_between_updates
    from open_updates
    group by incident_id

),

lead_activity as (

    select
        incidents.incident_id,
        min(activities.started_at) as lead_first_active_at
    from incidents
    inner join activities
        on
            incidents.incident_id = activities.incident_id
            and incidents.lead_email = activities.person_email
    group by incidents.incident_id

),

joined as (

    select
        incidents.incident_id,
        incidents.reference,
        incidents.lead_email,
        incidents.is_in_metrics,
        incidents.reported_at,
        incidents.resolved_at,
        update_summary.first_update_at,
        coalesce(update_summary.update_count, 0) as update_count,
        coalesce(update_summary.status_change_count, 0) as status_change_count,
        coalesce(update_summary.severity_change_count, 0) as severity_change_count,
        coalesce(cadence.open_update_count, 0) as open_update_count,
        cadence.mean_seconds_between_updates,
        cadence.max_seconds_between_updates,
        lead_activity.lead_first_active_at,
        {{ seconds_between('incidents.reported_at', 'update_summary.first_update_at') }} as raw_seconds_to_first_update,
        {{ seconds_between('incidents.reported_at', 'lead_activity.lead_first_active_at') }} as raw_seconds_to_lead
    from incidents
    left join update_summary
        on incidents.incident_id = update_summary.incident_id
    left join cadence
        on incidents.incident_id = cadence.incident_id
    left join lead_activity
        on incidents.incident_id = lead_activity.incident_id

),

final as (

    select
        ---------- ids
        cast(incident_id as varchar) as incident_id,
        cast(reference as varchar) as reference,

        ---------- strings
        cast(lead_email as varchar) as lead_email,

        ---------- numerics
        cast(case when raw_seconds_to_first_update >= 0 then raw_seconds_to_first_update end as double precision)
            as seconds_to_first_update,
        cast(update_count as integer) as update_count,
        cast(status_change_count as integer) as status_change_count,
        cast(severity_change_count as integer) as severity_change_count,
        cast(open_update_count as integer) as open_update_count,
        cast(mean_seconds_between_updates as double precision) as mean_seconds_between_updates,
        cast(max_seconds_between_updates as double precision) as max_seconds_between_updates,
        cast(
            case
                when raw_seconds_to_lead is null then null
                when raw_seconds_to_lead < 0 then 0.0
                else raw_seconds_to_lead
            end as double precision
        ) as seconds_to_lead_engaged,

        ---------- booleans
        is_in_metrics,
        coalesce(raw_seconds_to_first_update < 0, false) as is_first_update_before_report,

        ---------- timestamps
        cast(reported_at as timestamptz) as reported_at,
        cast(first_update_at as timestamptz) as first_update_at,
        cast(lead_first_active_at as timestamptz) as lead_first_active_at

    from joined

)

select * from final
