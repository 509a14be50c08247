-- Seed 002: the customer value vs loyalty scatter (orders per customer × revenue per customer) read
-- as four groups. High frequency = frequency score 4-5 and high value = monetary score 4-5 (the top
-- two quintiles of the RFM scores): VIP customers (both high), at-risk high value (value without
-- frequency), frequent low-value buyers, low engagement (neither). One row per group.
with

customers as (

    select * from {{ ref('dim_customer_360') }}

),

grouped as (

    select
        case
            when frequency_score >= 4 and monetary_score >= 4 then 'High frequency, high value'
            when monetary_score >= 4 then 'Low frequency, high value'
            when frequency_score >= 4 then 'High frequency, low value'
            else 'Low frequency, low value'
        end as value_loyalty_group,
        completed_orders,
        net_revenue
    from customers
    where is_purchaser

),

by_group as (

    select
        value_loyalty_group,
        count(*) as customers,
        sum(completed_orders) as completed_orders,
        sum(net_revenue) as net_revenue
    from grouped
    group by value_loyalty_group

),

final as (

    select
        value_loyalty_group,
        customers,
        cast(customers as {{ type_double() }}) / sum(customers) over () as customer_share,
        net_revenue,
        net_revenue / nullif(sum(net_revenue) over (), 0) as revenue_share,
        cast(completed_orders as {{ type_double() }}) / customers as orders_per_customer,
        net_revenue / customers as revenue_per_customer
    from by_group

)

select * from final
order by net_revenue desc, value_loyalty_group asc
