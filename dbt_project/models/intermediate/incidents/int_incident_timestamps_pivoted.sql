-- One row per incident that has timestamp values: the incident.io timestamps the metrics use,
-- pivoted from stg_incidentio__incident_timestamp_values. Timestamps are matched by name
-- (case- and space-insensitive), since their ids differ per incident.io account; an unset timestamp
-- is null. Should an account hold two timestamps of the same name, the earliest value wins.
{%- set timestamps = {
    'reported_at': 'reported at',
    'accepted_at': 'accepted at',
    'impact_started_at': 'impact started at',
    'identified_at': 'identified at',
    'fixed_at': 'fixed at',
    'resolved_at': 'resolved at',
    'closed_at': 'closed at',
} %}

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
        {%- for column_name, timestamp_name in timestamps.items() %}
        min(case when timestamp_key = '{{ timestamp_name }}' then timestamp_value end) as {{ column_name }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from timestamp_values
    group by incident_id

)

select * from pivoted
