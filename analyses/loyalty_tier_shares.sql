-- Seed 003: what share of customers is loyal, periodic or VIP? One row per loyalty tier, with the
-- cumulative share from the most loyal tier down (VIP, then VIP + Loyal, ...).
with

tiers as (

    select * from {{ ref('agg_customers_by_loyalty_tier') }}

),

final as (

    select
        loyalty_tier,
        sort_order,
        tier_rule,
        customers,
        customer_share,
        sum(customer_share) over (
            order by sort_order rows between unbounded preceding and current row
        ) as cumulative_customer_share,
        net_revenue,
        revenue_share,
        revenue_per_customer
    from tiers

)

select * from final
order by sort_order
