-- Loyalty-tier grain: one row per tier (VIP, Loyal, Periodic, One-time), also when empty, with
-- purchasing customers, shares, revenue and the rule of the tier.
with

customers as (

    select loyalty_tier, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

tiers as (

    select segment as loyalty_tier, sort_order, description
    from {{ ref('segment_catalog') }}
    where segment_type = 'loyalty_tier'

),

aggregated as (

    select
        loyalty_tier,
        {{ customer_group_aggregates() }}
    from customers
    group by loyalty_tier

),

final as (

    select
        cast(coalesce(tiers.loyalty_tier, aggregated.loyalty_tier) as {{ dbt.type_string() }}) as loyalty_tier,
        cast(coalesce(tiers.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        cast(tiers.description as {{ dbt.type_string() }}) as tier_rule,
        {{ customer_group_measures('aggregated') }}
    from tiers
    full outer join aggregated
        on tiers.loyalty_tier = aggregated.loyalty_tier

)

select * from final
