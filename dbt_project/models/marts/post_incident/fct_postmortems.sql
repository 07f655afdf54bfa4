-- One row per post-mortem document (docs/metrics.md#post-mortems) that still exists at the source.
-- The API records no completion time: `completed_at` is the `updated_at` of a document whose status is
-- `completed` (its last change, at or after the completion), else null.
with

documents as (

    select * from {{ ref('stg_incidentio__postmortem_documents') }}
    where deleted_at is null

),

final as (

    select
        ---------- ids
        cast(postmortem_id as varchar) as postmortem_id,
        cast(incident_id as varchar) as incident_id,

        ---------- strings
        cast(title as varchar) as title,
        cast(postmortem_status as varchar) as status,
        cast(document_type as varchar) as document_type,
        cast(document_url as varchar) as document_url,

        ---------- booleans
        coalesce(postmortem_status = 'completed', false) as is_completed,

        ---------- timestamps
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(case when postmortem_status = 'completed' then updated_at end as timestamptz) as completed_at

    from documents

)

select * from final
