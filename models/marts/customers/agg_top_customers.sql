-- Revenue-rank grain: the top N purchasing customers by net revenue (var top_n_customers; ties
-- broken by customer_id), with each one's share and the cumulative (Pareto) share of all revenue.
with

customers as (

    select
        customer_id,
        country_code,
        membership,
        rfm_segment,
        loyalty_tier,
        completed_orders,
        net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

ranked as (

    select
        *,
        row_number() over (order by net_revenue desc, customer_id asc) as revenue_rank,
        count(*) over () as total_customers,
        sum(net_revenue) over () as total_net_revenue
    from customers

),

cumulated as (

    select
        *,
        sum(net_revenue) over (order by revenue_rank rows between unbounded preceding and current row)
            as cumulative_net_revenue
    from ranked

),

final as (

    select
        {{ typed_columns(['revenue_rank', 'customer_id', 'country_code', 'membership', 'rfm_segment', 'loyalty_tier', 'completed_orders', 'net_revenue']) }},
        cast(net_revenue / nullif(total_net_revenue, 0) as {{ type_double() }}) as revenue_share,
        cast(cumulative_net_revenue as {{ type_double() }}) as cumulative_net_revenue,
        cast(cumulative_net_revenue / nullif(total_net_revenue, 0) as {{ type_double() }})
            as cumulative_revenue_share,
        cast(cast(revenue_rank as {{ type_double() }}) / total_customers as {{ type_double() }})
            as cumulative_customer_share
    from cumulated
    where revenue_rank <= {{ integer_var('top_n_customers', 1) }}

)

select * from final
