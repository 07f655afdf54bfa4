-- One row per sync of one source, from the pipeline's `meta.sync_runs`, with the one rule of what a
-- successful run is (docs/sync.md). A warehouse that was never synced (or a target the sync does not
-- write) has no `meta.sync_runs`: the model is then empty rather than failing the build. The run summary
-- (JSON) stays in `meta.sync_runs`: its text differs between DuckDB and Postgres, the marts must not.
{%- set runs_relation = source('pipeline_meta', 'sync_runs') %}
{%- set runs_exist = execute and adapter.get_relation(
    database=runs_relation.database, schema=runs_relation.schema, identifier=runs_relation.identifier
) is not none %}

with

runs as (

    {% if runs_exist %}
        select
            source,
            started_at,
            finished_at,
            status,
            full_refresh
        from {{ runs_relation }}
    {% else %}
        select
            cast(null as varchar) as source,
            cast(null as timestamptz) as started_at,
            cast(null as timestamptz) as finished_at,
            cast(null as varchar) as status,
            cast(null as boolean) as full_refresh
        where false
    {% endif %}

),

final as (

    select
        ---------- ids
        cast(source as varchar) as source,

        ---------- strings
        cast(status as varchar) as status,

        ---------- numerics
        cast({{ seconds_between('started_at', 'finished_at') }} as double precision) as duration_seconds,

        ---------- booleans
        -- `ok` is a run that read every listing in full and committed it; `incomplete`, `failed` and
        -- `stopped` runs are not successes (docs/sync.md).
        coalesce(status = 'ok', false) as is_success,
        cast(full_refresh as boolean) as is_full_refresh,

        ---------- timestamps
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at

    from runs

)

select * from final
