-- Seed 003 (opportunity: increase the VIP customer base): how close are Loyal customers to the VIP
-- tier? One row per gap to VIP (orders only, spending score only, both), with the Loyal customers in
-- it and their revenue. VIP needs loyalty_vip_min_orders completed orders and a spending score of
-- at least loyalty_vip_min_spending_score (the vars of the loyalty tier rule).
with

customers as (

    select * from {{ ref('dim_customer_360') }}

),

loyal as (

    select
        customer_id,
        net_revenue,
        completed_orders >= {{ integer_var('loyalty_vip_min_orders', 1) }} as has_vip_orders,
        spending_score >= {{ integer_var('loyalty_vip_min_spending_score', 1, 100) }} as has_vip_score
    from customers
    where loyalty_tier = 'Loyal'

),

by_gap as (

    select
        case
            when has_vip_score then 'needs more orders only'
            when has_vip_orders then 'needs a higher spending score only'
            else 'needs more orders and a higher spending score'
        end as gap_to_vip,
        count(*) as loyal_customers,
        sum(net_revenue) as net_revenue
    from loyal
    group by gap_to_vip

),

final as (

    select
        gap_to_vip,
        loyal_customers,
        cast(loyal_customers as {{ type_double() }}) / sum(loyal_customers) over () as share_of_loyal_customers,
        net_revenue,
        net_revenue / loyal_customers as revenue_per_customer
    from by_gap

)

select * from final
order by loyal_customers desc, gap_to_vip asc
