-- Order grain: the orders the Python models learn from, before the as-of date, in the column names
-- the customer_intelligence package expects.
with

orders as (

    select * from {{ ref('fct_orders') }}

),

final as (

    select
        order_id,
        customer_id,
        order_date,
        is_completed,
        gross_amount as gross_revenue,
        discount_amount,
        net_revenue,
        item_count
    from orders
    where order_date < {{ as_of_date() }}

)

select * from final
