-- Seed 001 (top customers): how concentrated is revenue in the best customers? One row per top
-- slice (top 1 %, 5 %, 10 %, 20 % of purchasing customers by net revenue; ties by customer_id) with
-- the share of revenue it holds.
with

customers as (

    select * from {{ ref('dim_customer_360') }}

),

slices as (

    select 0.01 as top_share
    union all
    select 0.05
    union all
    select 0.10
    union all
    select 0.20

),

ranked as (

    select
        customer_id,
        net_revenue,
        row_number() over (order by net_revenue desc, customer_id asc) as revenue_rank,
        count(*) over () as purchasers,
        sum(net_revenue) over () as total_net_revenue
    from customers
    where is_purchaser

),

final as (

    select
        cast(slices.top_share as {{ type_double() }}) as top_customer_share,
        count(ranked.customer_id) as customers,
        coalesce(sum(ranked.net_revenue), 0) as net_revenue,
        coalesce(sum(ranked.net_revenue) / nullif(max(ranked.total_net_revenue), 0), 0) as revenue_share
    from slices
    left join ranked
        on ranked.revenue_rank <= ceil(slices.top_share * ranked.purchasers)
    group by slices.top_share

)

select * from final
order by top_customer_share
