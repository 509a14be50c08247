-- Seed 004: which high-value customers are at high churn risk (the customer-level action table, and
-- the population of the alerts in customer_intelligence/alerts.py)? High value = top quintile of
-- historical net revenue (monetary_score 5) or of predicted 12-month value (the same rank-based
-- quintile rule); high risk = churn_risk_tier 'high'. One row per such customer, most revenue at
-- risk first.
with

actions as (

    select * from {{ ref('ml_customer_actions') }}

),

customers as (

    select * from {{ ref('dim_customer_360') }}

),

scored as (

    select
        actions.customer_id,
        actions.segment,
        actions.churn_probability,
        actions.churn_risk_tier,
        actions.net_revenue,
        actions.predicted_clv_12m,
        actions.revenue_at_risk,
        actions.recency_days,
        actions.recommended_action,
        customers.monetary_score,
        1 + floor(
            5 * (rank() over (order by actions.predicted_clv_12m) - 1) / count(*) over ()
        ) as predicted_value_score
    from actions
    inner join customers
        on actions.customer_id = customers.customer_id

),

final as (

    select
        customer_id,
        segment,
        churn_probability,
        churn_risk_tier,
        net_revenue,
        monetary_score,
        predicted_clv_12m,
        cast(predicted_value_score as {{ dbt.type_bigint() }}) as predicted_value_score,
        revenue_at_risk,
        recency_days,
        recommended_action
    from scored
    where churn_risk_tier = 'high' and (monetary_score = 5 or predicted_value_score = 5)

)

select * from final
order by revenue_at_risk desc, customer_id asc
