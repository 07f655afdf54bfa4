-- One row per period an incident spent at one severity (from its updates' severity history; see
-- int_incident_severity_periods for the rules): time at each severity while the incident was open.
with

periods as (

    select * from {{ ref('int_incident_severity_periods') }}

),

final as (

    select
        ---------- ids
        cast(incident_id as varchar) as incident_id,
        cast(starting_update_id as varchar) as starting_update_id,

        ---------- strings
        cast(severity_name as varchar) as severity_name,

        ---------- numerics
        cast(period_number as integer) as period_number,
        cast(severity_rank as integer) as severity_rank,
        cast(seconds_at_severity as double precision) as seconds_at_severity,

        ---------- booleans
        is_current,

        ---------- timestamps
        cast(started_at as timestamptz) as started_at,
        cast(ended_at as timestamptz) as ended_at

    from periods

)

select * from final
