{#
    Incremental staging (docs/metrics.md#incremental-builds). A raw row changes when the connectors
    rewrite it with new content or bring it back (`_synced_at` moves) or mark it deleted at the source
    (`_deleted_at` is set); both are stamped with the writing transaction's time, so a row's change
    marker is the later of the two. An incremental model keeps the marker of the raw row each of its rows
    came from (staging's `_synced_at` and `deleted_at`); its watermark is the greatest marker it holds,
    and a raw row with a greater marker changed since the model's last run. `dbt build --full-refresh`
    rebuilds every incremental model from all of raw.
#}


{# The change marker of a row: the later of its sync time and its deletion time (a timestamptz). #}
{% macro change_marker(synced_at, deleted_at) -%}
    greatest({{ synced_at }}, coalesce({{ deleted_at }}, {{ synced_at }}))
{%- endmacro %}


{#
    The greatest change marker the incremental model being built holds (`this`, whose rows carry
    staging's `_synced_at` and `deleted_at`), as a scalar subquery; the epoch when it holds no row,
    so that every raw row counts as changed.
#}
{% macro incremental_watermark() -%}
    (
        select coalesce(max({{ change_marker('_synced_at', 'deleted_at') }}), cast('1970-01-01 00:00:00+00' as timestamptz))
        from {{ this }}
    )
{%- endmacro %}


{#
    A where-condition on a raw table `relation` (its own columns, unqualified): true on an incremental
    run for the rows changed since the model's last run, and `true` on a full build. A raw table
    without `_deleted_at` (an older warehouse) counts only `_synced_at`.
#}
{% macro raw_changed_since_last_run(relation) -%}
    {%- if is_incremental() -%}
        {{ change_marker('_synced_at', source_deleted_at(relation)) }} > {{ incremental_watermark() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook SQL of an incremental model that holds several rows (or none) per raw row, keyed by the
    raw row's id in `key_column`: delete the rows of every raw row of `relation` that changed since the
    last run, so that a raw row whose new version yields fewer rows (an unassigned role, a cleared
    custom field) leaves none behind; the model then inserts the rows of its new version. Empty (no
    statement) on a full build. It runs in the model's transaction, before the model's query.
#}
{% macro delete_rows_of_changed_raw_rows(key_column, relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key_column }} in (
            select id from {{ relation }}
            where {{ raw_changed_since_last_run(relation) }}
        )
    {%- endif -%}
{%- endmacro %}
