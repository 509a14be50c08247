{{ config(materialized='table') }}
-- A table, not a view: it aggregates every order line; two Python models and a data test read it.
-- Customer x category grain: completed net spend before the as-of date (category breadth feature).
with

lines as (

    select * from {{ ref('fct_order_lines') }}

),

products as (

    select product_id, category from {{ ref('dim_products') }}

),

final as (

    select
        lines.customer_id,
        products.category,
        sum(lines.net_amount) as net_revenue
    from lines
    inner join products
        on lines.product_id = products.product_id
    where lines.is_completed and lines.order_date < {{ as_of_date() }}
    group by lines.customer_id, products.category

)

select * from final
