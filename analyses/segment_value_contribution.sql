-- Seeds 002 and 004: which customer segments drive the most value? One row per segment of every
-- segmentation (behavioural k-means segment, RFM segment, loyalty tier, spending quadrant,
-- membership), with its customer share, revenue share and value index (revenue share ÷ customer
-- share: above 1 the segment brings more than its weight in customers).
with

ml_segments as (

    select * from {{ ref('ml_segment_profiles') }}

),

rfm_segments as (

    select * from {{ ref('agg_customers_by_rfm_segment') }}

),

loyalty_tiers as (

    select * from {{ ref('agg_customers_by_loyalty_tier') }}

),

spending_quadrants as (

    select * from {{ ref('agg_customers_by_spending_quadrant') }}

),

memberships as (

    select * from {{ ref('agg_customers_by_membership') }}

),

ml_by_segment as (

    select
        'ml_segment' as segment_type,
        segment,
        sum(customers) as customers,
        sum(net_revenue) as net_revenue
    from ml_segments
    group by segment

),

unioned as (

    select segment_type, segment, customers, net_revenue from ml_by_segment
    union all
    select
        'rfm_segment' as segment_type,
        rfm_segment as segment,
        customers,
        net_revenue
    from rfm_segments
    union all
    select
        'loyalty_tier' as segment_type,
        loyalty_tier as segment,
        customers,
        net_revenue
    from loyalty_tiers
    union all
    select
        'spending_quadrant' as segment_type,
        spending_quadrant as segment,
        customers,
        net_revenue
    from spending_quadrants
    union all
    select
        'membership' as segment_type,
        membership as segment,
        customers,
        net_revenue
    from memberships

),

shares as (

    select
        segment_type,
        segment,
        customers,
        net_revenue,
        cast(customers as {{ type_double() }}) / sum(customers) over (partition by segment_type) as customer_share,
        net_revenue / nullif(sum(net_revenue) over (partition by segment_type), 0) as revenue_share
    from unioned
    where customers > 0

),

final as (

    select
        segment_type,
        segment,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        customer_share,
        net_revenue,
        revenue_share,
        revenue_share / nullif(customer_share, 0) as value_index,
        rank() over (partition by segment_type order by net_revenue desc, segment asc) as revenue_rank
    from shares

)

select * from final
order by segment_type, revenue_rank
