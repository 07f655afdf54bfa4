-- What the last sync could not read for lack of a permission or a feature, from the pipeline's
-- `meta.skipped_entities` (docs/sync.md, "Permissions"): the Data health page lists it. Like
-- fct_sync_runs, empty rather than failing when the warehouse was never synced.
{%- set skipped_relation = source('pipeline_meta', 'skipped_entities') %}
{%- set skipped_exist = execute and adapter.get_relation(
    database=skipped_relation.database,
    schema=skipped_relation.schema,
    identifier=skipped_relation.identifier
) is not none %}

with

skipped as (

    {% if skipped_exist %}
        select
            source,
            entity,
            status_code,
            message,
            seen_at
        from {{ skipped_relation }}
    {% else %}
        select
            cast(null as varchar) as source,
            cast(null as varchar) as entity,
            cast(null as integer) as status_code,
            cast(null as varchar) as message,
            cast(null as timestamptz) as seen_at
        where false
    {% endif %}

),

final as (

    select
        ---------- ids
        cast(source as varchar) as source,
        cast(entity as varchar) as entity,

        ---------- strings
        cast(message as varchar) as message,

        ---------- numerics
        cast(status_code as integer) as status_code,

        ---------- timestamps
        cast(seen_at as timestamptz) as seen_at

    from skipped

)

select * from final
