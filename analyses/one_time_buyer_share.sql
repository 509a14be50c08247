-- Seed 002: what share of customers bought only once, and how strong is repeat purchasing? One row
-- per order-frequency band with its share of customers and revenue.
with

bands as (

    select * from {{ ref('agg_customers_by_frequency_band') }}

),

final as (

    select
        frequency_band,
        sort_order,
        customers,
        customer_share,
        net_revenue,
        revenue_share,
        revenue_per_customer,
        min_orders = 1 and max_orders = 1 as is_one_time
    from bands

)

select * from final
order by sort_order
