-- Seeds 002 and 004: which customer segments drive the most value? One row per segment of every
-- segmentation (behavioural k-means segment, RFM segment, loyalty tier, spending quadrant,
-- membership), with its customer share, revenue share and value index (revenue share ÷ customer
-- share: above 1 the segment brings more than its weight in customers).
with

ml_segments as (

    select * from {{ ref('ml_segment_profiles') }}

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
    {%- for segment_type in ['rfm_segment', 'loyalty_tier', 'spending_quadrant', 'membership'] %}
    union all
    select
        '{{ segment_type }}' as segment_type,
        {{ segment_type }} as segment,
        customers,
        net_revenue
    from {{ ref('agg_customers_by_' ~ segment_type) }}
    {%- endfor %}

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
