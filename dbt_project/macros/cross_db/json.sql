{#
    JSON access, one implementation per dialect. `path` is a dotted path into the record,
    e.g. 'incident_status.category' (array positions are not supported here: unnest the array with
    `json_array_elements` instead).
#}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'incident_lake')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro postgres__json_text(column, path) -%}
    (cast({{ column }} as jsonb) #>> '{ {{- path.split('.') | join(',') -}} }')
{%- endmacro %}


{#
    A JSON sub-document (object or array) at `path`, still typed as JSON, for passing on to
    `json_text` or `json_array_elements`.
#}
{% macro json_value(column, path) -%}
    {{ return(adapter.dispatch('json_value', 'incident_lake')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_value(column, path) -%}
    json_extract({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro postgres__json_value(column, path) -%}
    (cast({{ column }} as jsonb) #> '{ {{- path.split('.') | join(',') -}} }')
{%- endmacro %}


{#
    A join clause that unnests the JSON array at `path` of `column`: one row per element.
    The alias exposes `element` (JSON) and `element_index` (0-based position in the array).
    A missing, null or non-array value yields no rows (a `cross join`, so the parent row drops out).

        from source
        {{ json_array_elements('source._record', 'incident_timestamp_values', 'tv') }}
#}
{% macro json_array_elements(column, path, alias) -%}
    {{ return(adapter.dispatch('json_array_elements', 'incident_lake')(column, path, alias)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(column, path, alias) -%}
    cross join lateral (
        select
            array_element.value as element,
            cast(array_element.key as integer) as element_index
        from json_each({{ column }}, '$.{{ path }}') as array_element
        where json_type({{ column }}, '$.{{ path }}') = 'ARRAY'
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__json_array_elements(column, path, alias) -%}
    cross join lateral (
        select
            array_element.value as element,
            cast(array_element.ordinality - 1 as integer) as element_index
        from jsonb_array_elements(
            case
                when jsonb_typeof({{ json_value(column, path) }}) = 'array'
                    then {{ json_value(column, path) }}
                else cast('[]' as jsonb)
            end
        ) with ordinality as array_element (value, ordinality)
    ) as {{ alias }}
{%- endmacro %}


{# The length of a JSON array (a `json_value`), or null when the value is missing or not an array. #}
{% macro json_array_length(json_expression) -%}
    {{ return(adapter.dispatch('json_array_length', 'incident_lake')(json_expression)) }}
{%- endmacro %}

{% macro duckdb__json_array_length(json_expression) -%}
    case when json_type({{ json_expression }}) = 'ARRAY' then json_array_length({{ json_expression }}) end
{%- endmacro %}

{% macro postgres__json_array_length(json_expression) -%}
    case
        when jsonb_typeof({{ json_expression }}) = 'array' then jsonb_array_length({{ json_expression }})
    end
{%- endmacro %}
