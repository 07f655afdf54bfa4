-- One row per interruption as PagerDuty defines it (docs/metrics.md#interruptions-and-sleep-hours): a
-- push, phone or SMS notification to a user (never email), notifications to one user about one incident
-- within 60 s of the previous one counting once (a burst counts at its first notification; a chain of
-- notifications each within 60 s of the one before stays one interruption). Sleep hours are 22:00-08:00
-- on the wall clock of the user's PagerDuty time zone at that instant (DST applied), UTC when the user
-- is unknown.
with

notifications as (

    select * from {{ ref('stg_pagerduty__log_entries') }}
    where
        log_entry_type = 'notify_log_entry'
        -- The method as staged from whichever field carries it (channel.notification.type first).
        and notification_method in ('push', 'phone', 'sms')
        and notified_user_id is not null
        and deleted_at is null

),

pagerduty_users as (

    select * from {{ ref('stg_pagerduty__users') }}
    where deleted_at is null

),

pagerduty_accounts as (

    select
        tool_user_id as pagerduty_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'pagerduty' and is_person

),

chained as (

    select
        log_entry_id,
        pagerduty_incident_id,
        notified_user_id as pagerduty_user_id,
        notification_method,
        created_at,
        lag(created_at) over (
            partition by pagerduty_incident_id, notified_user_id
            order by created_at, log_entry_id
        ) as previous_notified_at
    from notifications

),

interruptions as (

    -- The 60 s chaining rule shared with incident.io pages (macros/oncall_rules.sql).
    select * from chained
    where {{ starts_new_page('previous_notified_at', 'created_at') }}

),

localised as (

    select
        interruptions.log_entry_id,
        interruptions.pagerduty_incident_id,
        interruptions.pagerduty_user_id,
        pagerduty_accounts.person_email,
        interruptions.notification_method,
        coalesce(pagerduty_users.time_zone, 'UTC') as time_zone,
        interruptions.created_at as interrupted_at
    from interruptions
    left join pagerduty_users
        on interruptions.pagerduty_user_id = pagerduty_users.pagerduty_user_id
    left join pagerduty_accounts
        on interruptions.pagerduty_user_id = pagerduty_accounts.pagerduty_user_id

),

final as (

    select
        *,
        {{ local_hour('interrupted_at', 'time_zone') }} as local_hour,
        -- The sleep band of the hour-band rule (macros/oncall_rules.sql).
        {{ is_sleep_hour('interrupted_at', 'time_zone') }} as is_sleep_hour
    from localised

)

select * from final
