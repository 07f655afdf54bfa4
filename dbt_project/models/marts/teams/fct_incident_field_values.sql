-- One row per incident × custom field × value (docs/metrics.md#custom-fields), for incidents of every
-- mode that still exist at the source. A multi-select field gives a row per chosen option; an entry
-- with no values gives no row. `value` is what incident.io displays: the option's value, the catalog
-- entry's name, the text, the link, or the numeric string as the API sends it; `value_numeric` is the
-- number of a numeric field, `catalog_entry_id` the entry of a catalog-backed field.
with

field_values as (

    select * from {{ ref('stg_incidentio__incident_custom_field_values') }}
    where deleted_at is null

),

final as (

    select
        ---------- ids
        cast(incident_custom_field_value_id as varchar) as field_value_id,
        cast(incident_id as varchar) as incident_id,
        cast(custom_field_id as varchar) as custom_field_id,
        cast(value_option_id as varchar) as value_option_id,
        cast(value_catalog_entry_id as varchar) as catalog_entry_id,
        cast(value_catalog_entry_external_id as varchar) as catalog_entry_external_id,

        ---------- strings
        cast(custom_field_name as varchar) as custom_field_name,
        cast(field_type as varchar) as field_type,
        cast(
            case
                when value_catalog_entry_id is not null then value_catalog_entry_name
                when value_option_id is not null then value_option
                else coalesce(value_text, value_link, value_numeric_text, value_option, value_catalog_entry_name)
            end as varchar
        ) as value,

        ---------- numerics
        cast(value_numeric as double precision) as value_numeric,
        cast(value_index as integer) as value_index

    from field_values

)

select * from final
