-- One row per assigned role of an incident (docs/contract.md#marts): who held the lead, reporter and custom roles.
-- An unassigned role is no row (docs/metrics.md#roles). The assignee is identified by lower-cased email.
with

role_assignments as (

    select * from {{ ref('stg_incidentio__incident_role_assignments') }}
    where deleted_at is null and is_assigned

),

final as (

    select
        ---------- ids
        cast(incident_id as varchar) as incident_id,
        cast(role_id as varchar) as role_id,
        cast(assignee_user_id as varchar) as incidentio_user_id,

        ---------- strings
        cast(role_name as varchar) as role_name,
        cast(role_type as varchar) as role_type,
        cast(assignee_email as varchar) as person_email,
        cast(assignee_name as varchar) as person_name,

        ---------- numerics
        cast(element_index as integer) as role_position,

        ---------- booleans
        role_type = 'lead' as is_lead_role

    from role_assignments

)

select * from final
