-- One row per product, plus an 'unknown' member for lines whose product is missing or not in the catalogue.
with

products as (

    select * from {{ ref('stg_raw__products') }}

),

final as (

    select
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(coalesce(product_name, product_id) as {{ dbt.type_string() }}) as product_name,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(unit_cost as {{ type_double() }}) as unit_cost,
        false as is_unknown_member
    from products

    union all

    select
        'unknown' as product_id,
        'Unknown product' as product_name,
        'Unknown' as category,
        cast(null as {{ type_double() }}) as unit_cost,
        true as is_unknown_member

)

select * from final
