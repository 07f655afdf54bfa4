-- One row per on-call shift of one person, from both tools (docs/metrics.md#on-call-shifts): PagerDuty
-- /oncalls rows and incident.io `final` schedule entries. The person is matched by lower-cased email
-- (PagerDuty: the user's account; incident.io: the user's account, else the entry's own email), and
-- bands are judged in their time zone (dim_people's rule, int_people_identities), else UTC.
-- `counted_end_at` is where the hours stop: the end, or the build time while the shift runs; a shift
-- that starts after the build has counted_end_at = start_at (0 hours). A PagerDuty shift without a
-- start or an end (permanent on-call) has no hours.
with

pagerduty_oncalls as (

    select * from {{ ref('stg_pagerduty__oncalls') }}
    where deleted_at is null

),

schedule_entries as (

    select * from {{ ref('stg_incidentio__schedule_entries') }}
    where deleted_at is null

),

schedules as (

    select * from {{ ref('stg_incidentio__schedules') }}
    where deleted_at is null

),

accounts as (

    select
        tool,
        tool_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where is_person and tool in ('pagerduty', 'incidentio')

),

people as (

    select
        person_email,
        timezone
    from {{ ref('int_people_identities') }}

),

pagerduty_shifts as (

    select
        'pagerduty:' || pagerduty_oncalls.oncall_id as shift_id,
        'pagerduty' as source,
        pagerduty_oncalls.schedule_id,
        coalesce(pagerduty_oncalls.schedule_name, pagerduty_oncalls.escalation_policy_name) as schedule_name,
        pagerduty_oncalls.escalation_level,
        pagerduty_oncalls.pagerduty_user_id as tool_user_id,
        accounts.person_email,
        pagerduty_oncalls.started_at as start_at,
        pagerduty_oncalls.ended_at as end_at
    from pagerduty_oncalls
    left join accounts
        on
            accounts.tool = 'pagerduty'
            and pagerduty_oncalls.pagerduty_user_id = accounts.tool_user_id

),

incidentio_shifts as (

    select
        'incidentio:' || schedule_entries.schedule_entry_id as shift_id,
        'incidentio' as source,
        schedule_entries.schedule_id,
        schedules.schedule_name,
        cast(null as integer) as escalation_level,
        schedule_entries.incidentio_user_id as tool_user_id,
        coalesce(accounts.person_email, schedule_entries.user_email) as person_email,
        schedule_entries.start_at,
        schedule_entries.end_at
    from schedule_entries
    left join schedules
        on schedule_entries.schedule_id = schedules.schedule_id
    left join accounts
        on
            accounts.tool = 'incidentio'
            and schedule_entries.incidentio_user_id = accounts.tool_user_id

),

shifts as (

    select * from pagerduty_shifts
    union all
    select * from incidentio_shifts

),

final as (

    select
        shifts.*,
        coalesce(people.timezone, 'UTC') as timezone,
        people.timezone is not null as has_timezone,
        {{ build_time() }} as counted_until,
        case
            when shifts.start_at is null or shifts.end_at is null then null
            when shifts.start_at >= {{ build_time() }} then shifts.start_at
            when shifts.end_at > {{ build_time() }} then {{ build_time() }}
            else shifts.end_at
        end as counted_end_at
    from shifts
    left join people
        on shifts.person_email = people.person_email

)

select * from final
