-- One row per page (an interruption) of one person (docs/metrics.md#pages): PagerDuty interruptions
-- (int_pagerduty_interruptions: push, phone or SMS, never email) and incident.io escalation
-- notifications (int_incidentio_escalation_pages), each chained by the one 60 s rule per user and per
-- PagerDuty incident or escalation (macros/oncall_rules.sql). A PagerDuty page and an incident.io page
-- are never merged with each other: they belong to different incidents/escalations.
--   urgency          the PagerDuty incident's urgency, or the notification's;
--   acknowledged_at  the PagerDuty incident's first acknowledgement, or the escalation's first `acked`;
--   incident_id      PagerDuty: the incident.io incident linked to it; incident.io: the first related;
--   hour_band / is_sleep_hour  the band of notified_at in the person's time zone (else UTC);
--   during_oncall_shift  the person had a shift of either tool with start_at <= notified_at < end_at.
with

pagerduty_interruptions as (

    select * from {{ ref('int_pagerduty_interruptions') }}

),

pagerduty_incidents as (

    select * from {{ ref('fct_pagerduty_incidents') }}

),

incidentio_pages as (

    select * from {{ ref('int_incidentio_escalation_pages') }}

),

incidentio_accounts as (

    select
        tool_user_id as incidentio_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'incidentio' and is_person

),

people as (

    select
        person_email,
        timezone
    from {{ ref('int_people_identities') }}

),

shifts as (

    select
        person_email,
        start_at,
        end_at
    from {{ ref('int_oncall_shifts') }}
    where person_email is not null

),

pages as (

    select
        'pagerduty:' || pagerduty_interruptions.log_entry_id as page_id,
        'pagerduty' as source,
        pagerduty_interruptions.person_email,
        pagerduty_interruptions.pagerduty_user_id as tool_user_id,
        pagerduty_interruptions.interrupted_at as notified_at,
        pagerduty_incidents.urgency,
        pagerduty_incidents.incident_id,
        pagerduty_interruptions.pagerduty_incident_id,
        cast(null as varchar) as escalation_id,
        pagerduty_incidents.first_acknowledged_at as acknowledged_at
    from pagerduty_interruptions
    left join pagerduty_incidents
        on pagerduty_interruptions.pagerduty_incident_id = pagerduty_incidents.pagerduty_incident_id

    union all

    select
        incidentio_pages.page_id,
        'incidentio' as source,
        coalesce(incidentio_accounts.person_email, incidentio_pages.user_email) as person_email,
        incidentio_pages.incidentio_user_id as tool_user_id,
        incidentio_pages.notified_at,
        incidentio_pages.urgency,
        incidentio_pages.incident_id,
        cast(null as varchar) as pagerduty_incident_id,
        incidentio_pages.escalation_id,
        incidentio_pages.acknowledged_at
    from incidentio_pages
    left join incidentio_accounts
        on incidentio_pages.incidentio_user_id = incidentio_accounts.incidentio_user_id

),

localised as (

    select
        pages.*,
        coalesce(people.timezone, 'UTC') as timezone
    from pages
    left join people
        on pages.person_email = people.person_email

),

on_shift as (

    select distinct localised.page_id
    from localised
    inner join shifts
        on
            localised.person_email = shifts.person_email
            and localised.notified_at >= shifts.start_at
            and localised.notified_at < shifts.end_at

),

final as (

    select
        ---------- ids
        cast(localised.page_id as varchar) as page_id,
        cast(localised.incident_id as varchar) as incident_id,
        cast(localised.pagerduty_incident_id as varchar) as pagerduty_incident_id,
        cast(localised.escalation_id as varchar) as escalation_id,
        cast(localised.tool_user_id as varchar) as tool_user_id,

        ---------- strings
        cast(localised.source as varchar) as source,
        cast(localised.person_email as varchar) as person_email,
        cast(localised.urgency as varchar) as urgency,
        cast(localised.timezone as varchar) as timezone,
        cast({{ hour_band('localised.notified_at', 'localised.timezone') }} as varchar) as hour_band,

        ---------- numerics
        -- An acknowledgement before this page (the incident was acknowledged before this user was
        -- paged) gives no time to acknowledge.
        cast(
            case
                when localised.acknowledged_at >= localised.notified_at
                    then {{ seconds_between('localised.notified_at', 'localised.acknowledged_at') }}
            end as double precision
        ) as seconds_to_acknowledge,

        ---------- booleans
        {{ is_sleep_hour('localised.notified_at', 'localised.timezone') }} as is_sleep_hour,
        on_shift.page_id is not null as during_oncall_shift,

        ---------- timestamps
        cast(localised.notified_at as timestamptz) as notified_at,
        cast(localised.acknowledged_at as timestamptz) as acknowledged_at

    from localised
    left join on_shift
        on localised.page_id = on_shift.page_id

)

select * from final
