-- One row per incident.io On-call page (docs/metrics.md#pages): the notifications of one user by one
-- escalation (`notified_users` events, one per notified user) chained by the 60 s rule of
-- macros/oncall_rules.sql, the same rule as PagerDuty's interruptions. A page is timed by its first
-- notification and carries that notification's urgency; the escalation's first `acked` event is its
-- acknowledgement, and the first of its `related_incidents` its incident.
with

notifications as (

    select * from {{ ref('stg_incidentio__escalation_notifications') }}
    where deleted_at is null and incidentio_user_id is not null and notified_at is not null

),

acknowledgements as (

    select
        escalation_id,
        min(occurred_at) as acknowledged_at
    from {{ ref('stg_incidentio__escalation_events') }}
    where deleted_at is null and event_type = 'acked'
    group by escalation_id

),

related_incidents as (

    select
        escalation_id,
        incident_id
    from {{ ref('stg_incidentio__escalation_incidents') }}
    where deleted_at is null and incident_index = 0

),

chained as (

    select
        *,
        lag(notified_at) over (
            partition by escalation_id, incidentio_user_id
            order by notified_at, event_index, user_index
        ) as previous_notified_at
    from notifications

),

pages as (

    select * from chained
    where {{ starts_new_page('previous_notified_at', 'notified_at') }}

),

final as (

    select
        'incidentio:' || pages.escalation_id || ':' || pages.incidentio_user_id || ':'
        || cast(pages.event_index as varchar) as page_id,
        pages.escalation_id,
        pages.event_id,
        pages.incidentio_user_id,
        pages.user_email,
        pages.urgency,
        pages.notified_at,
        acknowledgements.acknowledged_at,
        related_incidents.incident_id
    from pages
    left join acknowledgements
        on pages.escalation_id = acknowledgements.escalation_id
    left join related_incidents
        on pages.escalation_id = related_incidents.escalation_id

)

select * from final
