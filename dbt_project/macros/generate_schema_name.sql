{#
    A model's schema is exactly its folder's custom schema (`staging`, `intermediate`, `marts`),
    not dbt's default `<target schema>_<custom schema>`: docs/contract.md#warehouse fixes the public schema as `marts`
    on every target. Models without a custom schema fall back to the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
