-- One row per incident that has timestamp values: the incident.io timestamps the metrics use,
-- pivoted from stg_incidentio__incident_timestamp_values. Timestamps are matched by name
-- (case-insensitive, surrounding spaces ignored), since their ids differ per incident.io account; an unset timestamp
-- is null. Should an account hold two timestamps of the same name, the earliest value wins.

with

timestamp_values as (

    select
        incident_id,
        lower(trim(timestamp_name)) as timestamp_key,
        timestamp_value
    from {{ ref('stg_incidentio__incident_timestamp_values') }}

),

pivoted as (

    select
        incident_id,
        min(case when timestamp_key = 'reported at' then timestamp_value end) as reported_at,
        min(case when timestamp_key = 'accepted at' then timestamp_value end) as accepted_at,
        min(case when timestamp_key = 'impact started at' then timestamp_value end) as impact_started_at,
        min(case when timestamp_key = 'identified at' then timestamp_value end) as identified_at,
        min(case when timestamp_key = 'fixed at' then timestamp_value end) as fixed_at,
        min(case when timestamp_key = 'resolved at' then timestamp_value end) as resolved_at,
        min(case when timestamp_key = 'closed at' then timestamp_value end) as closed_at
    from timestamp_values
    group by incident_id

)

select * from pivoted
