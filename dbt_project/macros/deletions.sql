{#
    A typed raw column that newer connectors write and an older warehouse may lack, as `data_type`:
    the column when the raw table has it, else a typed null, so staging never breaks on a warehouse made
    before the column existed. The column list is read from the warehouse when the model runs (at parse
    time, and for unit-test fixtures, the typed null is used).
#}
{% macro source_column_or_null(relation, column_name, data_type) -%}
    {%- set has_column = false -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- set has_column = column_name | lower in names -%}
    {%- endif -%}
    {%- if has_column -%}
        cast({{ column_name }} as {{ data_type }})
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


{#
    The source's deletion time of a raw row, as a timestamptz: the `_deleted_at` column the connectors
    set when a read that covers a whole set (a channel's history, a thread's replies, an incident's
    attachments, …) no longer returns the row (docs/sync.md, deletions). Deleted rows stay in raw as
    evidence; staging exposes this column as `deleted_at` and every mart leaves those rows out. A raw
    table without the column (an older warehouse) counts every row as live.
#}
{% macro source_deleted_at(relation) -%}
    {{ source_column_or_null(relation, '_deleted_at', 'timestamptz') }}
{%- endmacro %}
