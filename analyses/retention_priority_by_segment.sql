-- Seed 004: where should retention effort go for the most return? One row per behavioural
-- segment, ranked by revenue at risk (Σ churn probability × predicted 12-month value): the
-- segment at the top is the largest revenue-protection opportunity.
with

actions as (

    select segment, recommended_action, churn_risk_tier, net_revenue, predicted_clv_12m, revenue_at_risk
    from {{ ref('ml_customer_actions') }}

),

by_segment as (

    select
        segment,
        min(recommended_action) as recommended_action,
        count(*) as customers,
        sum(case when churn_risk_tier = 'high' then 1 else 0 end) as high_risk_customers,
        sum(net_revenue) as net_revenue,
        sum(predicted_clv_12m) as predicted_clv_12m,
        sum(revenue_at_risk) as revenue_at_risk
    from actions
    group by segment

),

final as (

    select
        segment,
        customers,
        cast(high_risk_customers as {{ dbt.type_bigint() }}) as high_risk_customers,
        net_revenue,
        predicted_clv_12m,
        revenue_at_risk,
        revenue_at_risk / nullif(sum(revenue_at_risk) over (), 0) as share_of_revenue_at_risk,
        revenue_at_risk / nullif(customers, 0) as revenue_at_risk_per_customer,
        rank() over (order by revenue_at_risk desc, segment asc) as retention_priority,
        recommended_action
    from by_segment

)

select * from final
order by retention_priority
