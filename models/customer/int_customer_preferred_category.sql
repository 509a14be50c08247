{{ config(materialized='table') }}
-- A table, not a view: it aggregates every order line, and its data tests would redo that per test.
-- Purchasing-customer grain: each customer's preferred category, the product category with the
-- most net revenue over their completed orders before the as-of date (ties: alphabetical category).
-- Lines of products missing from the catalogue count under category 'Unknown'.
with

lines as (

    select
        customer_id,
        product_id,
        net_amount
    from {{ ref('fct_order_lines') }}
    where is_completed and order_date < {{ as_of_date() }}

),

products as (

    select product_id, category from {{ ref('dim_products') }}

),

category_revenue as (

    select
        lines.customer_id,
        coalesce(products.category, 'Unknown') as category,
        round(sum(lines.net_amount), 2) as net_revenue
    from lines
    left join products
        on lines.product_id = products.product_id
    group by
        lines.customer_id,
        coalesce(products.category, 'Unknown')

),

ranked as (

    select
        customer_id,
        category,
        net_revenue,
        row_number() over (
            partition by customer_id
            order by net_revenue desc, category asc
        ) as category_rank
    from category_revenue

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(category as {{ dbt.type_string() }}) as preferred_category,
        cast(net_revenue as {{ type_double() }}) as preferred_category_revenue
    from ranked
    where category_rank = 1

)

select * from final
