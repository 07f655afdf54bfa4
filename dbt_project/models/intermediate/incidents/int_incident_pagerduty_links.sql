-- One row per incident.io incident linked to a PagerDuty incident (docs/metrics.md#linking-the-tools):
--   1. attachments whose resource_type is `pager_duty_incident` (`external_id` is the PagerDuty
--      incident id; the permalink's `/incidents/<ID>` when the id is missing): this is how
--      incident.io's PagerDuty integration links them;
--   2. else a custom field value (link or text) holding a PagerDuty incident URL (`…/incidents/<ID>`)
--      or a bare id. A custom field candidate counts only when the URL's host is pagerduty.com, or
--      the custom field is named like "PagerDuty", or the id is a PagerDuty incident we synced; so
--      an incident.io permalink in a "Related incident" field is not taken for a PagerDuty link.
-- Several candidates: attachments before custom fields; attachments in id order (incident.io ids are
-- ULIDs, so the earliest attached first); custom fields in the order of the record.
with

attachments as (

    select * from {{ ref('stg_incidentio__incident_attachments') }}
    where deleted_at is null

),

custom_field_values as (

    select * from {{ ref('stg_incidentio__incident_custom_field_values') }}
    where deleted_at is null

),

pagerduty_incidents as (

    select pagerduty_incident_id from {{ ref('stg_pagerduty__incidents') }}
    where deleted_at is null

),

attachment_candidates as (

    select
        incident_id,
        coalesce(
            resource_external_id,
            {{ regex_capture('resource_permalink', '/incidents/([A-Za-z0-9]+)') }}
        ) as pagerduty_incident_id,
        'attachment' as link_source,
        1 as source_priority,
        incident_attachment_id as candidate_order_key
    from attachments
    where resource_type = 'pager_duty_incident'

),

custom_field_texts as (

    select
        incident_id,
        custom_field_name,
        trim(coalesce(value_link, value_text)) as candidate_text,
        lpad(cast(entry_index as varchar), 6, '0')
        || ':' || lpad(cast(value_index as varchar), 6, '0') as candidate_order_key
    from custom_field_values
    where coalesce(value_link, value_text) is not null

),

custom_field_parsed as (

    select
        incident_id,
        candidate_order_key,
        coalesce(
            {{ regex_capture('candidate_text', '/incidents/([A-Za-z0-9]+)') }},
            {{ regex_capture('candidate_text', '^([A-Z0-9]{6,20})$') }}
        ) as pagerduty_incident_id,
        lower(candidate_text) like '%pagerduty.com/%' as is_pagerduty_url,
        lower(replace(custom_field_name, ' ', '')) like '%pagerduty%' as is_pagerduty_field
    from custom_field_texts

),

custom_field_candidates as (

    select
        custom_field_parsed.incident_id,
        custom_field_parsed.pagerduty_incident_id,
        'custom_field' as link_source,
        2 as source_priority,
        custom_field_parsed.candidate_order_key
    from custom_field_parsed
    left join pagerduty_incidents
        on custom_field_parsed.pagerduty_incident_id = pagerduty_incidents.pagerduty_incident_id
    where
        custom_field_parsed.pagerduty_incident_id is not null
        and (
            custom_field_parsed.is_pagerduty_url
            or custom_field_parsed.is_pagerduty_field
            or pagerduty_incidents.pagerduty_incident_id is not null
        )

),

candidates as (

    select * from attachment_candidates
    where pagerduty_incident_id is not null
    union all
    select * from custom_field_candidates

),

ranked as (

    select
        incident_id,
        pagerduty_incident_id,
        link_source,
        count(*) over (partition by incident_id) as candidate_count,
        row_number() over (
            partition by incident_id
            order by source_priority asc, candidate_order_key asc, pagerduty_incident_id asc
        ) as candidate_rank
    from candidates

),

chosen as (

    select
        incident_id,
        pagerduty_incident_id,
        link_source,
        cast(candidate_count as integer) as candidate_count
    from ranked
    where candidate_rank = 1

)

select * from chosen
