-- Seed 000: how are customers spread over the income × spending-score quadrants (VIPs,
-- Underperformers, Potential Growers, At Risk), what does each bring, and what is its action?
-- One row per quadrant with customers, with the thresholds used.
with

quadrants as (

    select * from {{ ref('agg_customers_by_spending_quadrant') }}

),

final as (

    select
        spending_quadrant,
        sort_order,
        customers,
        customer_share,
        net_revenue,
        revenue_share,
        average_annual_income,
        average_spending_score,
        recommended_action,
        income_threshold,
        spending_score_threshold
    from quadrants
    where customers > 0

)

select * from final
order by sort_order
