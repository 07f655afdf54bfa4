-- For each metric × month of `reported_at` (UTC): how many incidents had the data the metric needs,
-- and why the others did not (one row per reason). The population of every metric is the incidents
-- with `is_in_metrics`; each incident gets exactly one status per metric, the first that applies:
--   time_to_resolve        no_resolved_at, invalid_timestamps (resolved before reported), computable
--   time_to_mitigate       no_fixed_at, invalid_timestamps (fixed before impact start/report), computable
--   severity               no_severity (the null-severity group of metrics_mttr), computable
--   time_to_first_update   no_status_update, invalid_timestamps (first update before reported_at), computable
--   time_to_lead_engaged   no_lead, no_lead_activity, computable
--   pagerduty_time_to_ack  no_linked_pagerduty_incident, pagerduty_incident_not_synced,
--                          never_acknowledged, computable
--   slack_activity         no_slack_channel, no_slack_messages, computable
--   zoom_participation     no_zoom_call, no_call_in_window, no_participant_data, computable
--   time_to_declare        no_alert, invalid_timestamps (declared before its first alert), computable
-- and one metric over pages instead of incidents (`record_type` 'page', by the month of notified_at):
--   page_time_to_ack       never_acknowledged, computable (fct_pages with an acknowledged_at)
-- Below the metrics (`coverage_kind` 'derived_field'), how often a value the marts need was derived
-- because the record lacked it (from_source, derived, missing; `incident_count` then counts the
-- field's records, `record_type` says which), by the month of the record's start:
--   incident.reported_at                   incidents with is_in_metrics ("Reported at", else created_at)
--   incident.resolved_at                   incidents with is_in_metrics ("Resolved at", else the update)
--   pagerduty_incident.resolved_at         resolved PagerDuty incidents (resolved_at, else the resolve
--                                          log entry, else last_status_change_at)
--   pagerduty_incident.first_acknowledged_at  acknowledged PagerDuty incidents (log entry, else the
--                                          record's acknowledgements[])
--   zoom_participant.left_at               participant rows of incident calls (leave_time, else
--                                          join_time + duration)
--   follow_up.completed_at                 completed follow-ups (completed_at, else updated_at)
--   person.timezone                        people on call or paged that month (a metrics_oncall_burden
--                                          week starting in it): a time zone from a tool (from_source),
--                                          or none, so UTC is assumed for their hour bands (derived)
-- and (`coverage_kind` 'unknown_value') Slack messages counted as content whose subtype is not in the
-- seed slack_message_subtypes (known_subtype, unknown_subtype): a new subtype to look at.
with

incidents as (

    select
        *,
        {{ utc_month('reported_at') }} as month
    from {{ ref('fct_incidents') }}
    where is_in_metrics

),

response as (

    select * from {{ ref('fct_incident_response') }}

),

pagerduty_incidents as (

    select * from {{ ref('fct_pagerduty_incidents') }}

),

slack_channels_with_messages as (

    select distinct incident_id from {{ ref('int_slack_incident_messages') }}

),

zoom_instances as (

    select distinct incident_id from {{ ref('int_incident_zoom_instances') }}

),

zoom_participation as (

    select distinct zoom_links.incident_id
    from {{ ref('int_incident_zoom_instances') }} as zoom_links
    inner join {{ ref('int_zoom_participation_merged') }} as participation
        on zoom_links.meeting_uuid = participation.meeting_uuid

),

facts as (

    select
        incidents.incident_id,
        incidents.month,
        incidents.resolved_at,
        incidents.fixed_at,
        incidents.severity_name,
        incidents.lead_email,
        incidents.slack_channel_id,
        incidents.zoom_meeting_id,
        incidents.pagerduty_incident_id,
        incidents.is_resolve_duration_invalid,
        incidents.is_mitigate_duration_invalid,
        incidents.first_alert_at,
        incidents.is_time_to_declare_invalid,
        response.first_update_at,
        response.is_first_update_before_report,
        response.lead_first_active_at,
        pagerduty_incidents.pagerduty_incident_id as synced_pagerduty_incident_id,
        pagerduty_incidents.seconds_to_first_ack,
        slack_channels_with_messages.incident_id is not null as has_slack_messages,
        zoom_instances.incident_id is not null as has_call_in_window,
        zoom_participation.incident_id is not null as has_participant_data
    from incidents
    left join response
        on incidents.incident_id = response.incident_id
    left join pagerduty_incidents
        on incidents.pagerduty_incident_id = pagerduty_incidents.pagerduty_incident_id
    left join slack_channels_with_messages
        on incidents.incident_id = slack_channels_with_messages.incident_id
    left join zoom_instances
        on incidents.incident_id = zoom_instances.incident_id
    left join zoom_participation
        on incidents.incident_id = zoom_participation.incident_id

),

statuses as (

    select
        incident_id,
        month,
        'time_to_resolve' as metric_name,
        case
            when resolved_at is null then 'no_resolved_at'
            when is_resolve_duration_invalid then 'invalid_timestamps'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'time_to_mitigate' as metric_name,
        case
            when fixed_at is null then 'no_fixed_at'
            when is_mitigate_duration_invalid then 'invalid_timestamps'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'severity' as metric_name,
        case when severity_name is null then 'no_severity' else 'computable' end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'time_to_first_update' as metric_name,
        case
            when first_update_at is null then 'no_status_update'
            when is_first_update_before_report then 'invalid_timestamps'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'time_to_lead_engaged' as metric_name,
        case
            when lead_email is null then 'no_lead'
            when lead_first_active_at is null then 'no_lead_activity'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'pagerduty_time_to_ack' as metric_name,
        case
            when pagerduty_incident_id is null then 'no_linked_pagerduty_incident'
            when synced_pagerduty_incident_id is null then 'pagerduty_incident_not_synced'
            when seconds_to_first_ack is null then 'never_acknowledged'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'slack_activity' as metric_name,
        case
            when slack_channel_id is null then 'no_slack_channel'
            when not has_slack_messages then 'no_slack_messages'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'zoom_participation' as metric_name,
        case
            when zoom_meeting_id is null then 'no_zoom_call'
            when not has_call_in_window then 'no_call_in_window'
            when not has_participant_data then 'no_participant_data'
            else 'computable'
        end as coverage_status
    from facts

    union all

    select
        incident_id,
        month,
        'time_to_declare' as metric_name,
        case
            when first_alert_at is null then 'no_alert'
            when is_time_to_declare_invalid then 'invalid_timestamps'
            else 'computable'
        end as coverage_status
    from facts

),

page_statuses as (

    select
        'page_time_to_ack' as metric_name,
        'page' as record_type,
        {{ utc_month('notified_at') }} as month,
        case when acknowledged_at is null then 'never_acknowledged' else 'computable' end as coverage_status
    from {{ ref('fct_pages') }}

),

zoom_links as (

    select distinct meeting_uuid from {{ ref('int_incident_zoom_instances') }}

),

derived_fields as (

    select
        'incident.reported_at' as metric_name,
        'incident' as record_type,
        month,
        case when reported_at_source = 'created_at' then 'derived' else 'from_source' end as coverage_status
    from incidents

    union all

    select
        'incident.resolved_at' as metric_name,
        'incident' as record_type,
        month,
        case resolved_at_source
            when 'timestamp' then 'from_source'
            when 'status_update' then 'derived'
            else 'missing'
        end as coverage_status
    from incidents

    union all

    select
        'pagerduty_incident.resolved_at' as metric_name,
        'pagerduty_incident' as record_type,
        {{ utc_month('created_at') }} as month,
        case resolved_at_source
            when 'resolved_at' then 'from_source'
            when 'resolve_log_entry' then 'derived'
            when 'last_status_change_at' then 'derived'
            else 'missing'
        end as coverage_status
    from pagerduty_incidents
    where status = 'resolved'

    union all

    select
        'pagerduty_incident.first_acknowledged_at' as metric_name,
        'pagerduty_incident' as record_type,
        {{ utc_month('created_at') }} as month,
        case first_acknowledged_at_source
            when 'acknowledge_log_entry' then 'from_source'
            else 'derived'
        end as coverage_status
    from pagerduty_incidents
    where first_acknowledged_at is not null

    union all

    select
        'zoom_participant.left_at' as metric_name,
        'zoom_participant_row' as record_type,
        {{ utc_month('attendance.joined_at') }} as month,
        case attendance.left_at_source
            when 'leave_time' then 'from_source'
            when 'derived_from_duration' then 'derived'
            else 'missing'
        end as coverage_status
    from {{ ref('int_zoom_call_attendance') }} as attendance
    inner join zoom_links
        on attendance.meeting_uuid = zoom_links.meeting_uuid

    union all

    select
        'follow_up.completed_at' as metric_name,
        'follow_up' as record_type,
        {{ utc_month('created_at') }} as month,
        case completed_at_source
            when 'completed_at' then 'from_source'
            when 'updated_at' then 'derived'
            else 'missing'
        end as coverage_status
    from {{ ref('fct_follow_ups') }}
    where status = 'completed'

    union all

    select
        'person.timezone' as metric_name,
        'person' as record_type,
        oncall_months.month,
        case when people.timezone is null then 'derived' else 'from_source' end as coverage_status
    from (
        select distinct
            person_email,
            cast(date_trunc('month', cast(week as timestamp)) as date) as month
        from {{ ref('metrics_oncall_burden') }}
    ) as oncall_months
    left join {{ ref('dim_people') }} as people
        on oncall_months.person_email = people.person_email

),

unknown_values as (

    select
        'slack_message.subtype' as metric_name,
        'slack_message' as record_type,
        {{ utc_month('posted_at') }} as month,
        case when is_unknown_subtype then 'unknown_subtype' else 'known_subtype' end as coverage_status
    from {{ ref('int_slack_incident_messages') }}

),

counted as (

    select
        metric_name,
        'metric' as coverage_kind,
        'incident' as record_type,
        month,
        coverage_status,
        count(*) as incident_count
    from statuses
    group by metric_name, month, coverage_status

    union all

    select
        metric_name,
        'metric' as coverage_kind,
        record_type,
        month,
        coverage_status,
        count(*) as incident_count
    from page_statuses
    group by metric_name, record_type, month, coverage_status

    union all

    select
        metric_name,
        'derived_field' as coverage_kind,
        record_type,
        month,
        coverage_status,
        count(*) as incident_count
    from derived_fields
    group by metric_name, record_type, month, coverage_status

    union all

    select
        metric_name,
        'unknown_value' as coverage_kind,
        record_type,
        month,
        coverage_status,
        count(*) as incident_count
    from unknown_values
    group by metric_name, record_type, month, coverage_status

),

final as (

    select
        cast(metric_name as varchar) as metric_name,
        cast(month as date) as month,
        cast(coverage_status as varchar) as coverage_status,
        cast(coverage_kind as varchar) as coverage_kind,
        cast(record_type as varchar) as record_type,
        coverage_status in ('computable', 'from_source', 'derived', 'known_subtype') as is_computable,
        cast(incident_count as integer) as incident_count,
        cast(sum(incident_count) over (partition by metric_name, month) as integer) as eligible_incident_count,
        cast(
            1.0 * incident_count / sum(incident_count) over (partition by metric_name, month) as double precision
        ) as share_of_eligible
    from counted

)

select * from final
