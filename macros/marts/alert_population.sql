{#- The customers an alert is raised for (customer_intelligence/alerts.py, seed 004): high churn risk
    (churn_risk_tier 'high') and high value: top quintile of historical net revenue (monetary_score 5)
    or of predicted 12-month value (the same rank-based quintile rule as alerts.quintile_score).
    One query, read by the analysis high_value_customers_at_high_risk and by ml_alert_history. -#}
{% macro high_value_high_risk_customers() %}
with

actions as (

    select * from {{ ref('ml_customer_actions') }}

),

customers as (

    select customer_id, monetary_score
    from {{ ref('dim_customer_360') }}

),

scored as (

    select
        actions.customer_id,
        customers.monetary_score,
        actions.segment,
        actions.churn_probability,
        actions.churn_risk_tier,
        actions.net_revenue,
        actions.predicted_clv_12m,
        actions.revenue_at_risk,
        actions.recency_days,
        actions.recommended_action,
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
{% endmacro %}
