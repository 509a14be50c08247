-- One row per product: the last valid row of each product id.
with

base as (

    select * from {{ ref('base_raw__products') }}

),

final as (

    select
        product_id,
        product_name,
        category,
        unit_cost,
        dq_flags
    from base
    where {{ is_staged_row() }}

)

select * from final
