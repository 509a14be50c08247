-- Seeds 000, 002 and 004: the KPI cards (customers, orders, revenue, AOV, LTV, repeat rate, Prime
-- share, average income and spending score, active customers, at-risk and churn rates). One row.
with

kpis as (

    select * from {{ ref('kpi_overview') }}

),

final as (

    select
        as_of_date,
        total_customers,
        total_orders,
        net_revenue,
        average_order_value,
        lifetime_value,
        repeat_purchase_rate,
        prime_share,
        average_annual_income,
        average_spending_score,
        active_customers,
        at_risk_rate,
        churn_rate
    from kpis

)

select * from final
