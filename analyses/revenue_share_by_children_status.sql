-- Seed 003: what share of revenue comes from customers with children, and from customers without?
-- One row per children status with purchasing customers.
with

children_status as (

    select * from {{ ref('agg_customers_by_children_status') }}

),

final as (

    select
        children_status,
        sort_order,
        customers,
        customer_share,
        net_revenue,
        revenue_share,
        revenue_per_customer,
        average_order_value,
        revenue_share - customer_share as revenue_minus_customer_share
    from children_status
    where customers > 0

)

select * from final
order by sort_order
