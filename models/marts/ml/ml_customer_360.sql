{{ config(materialized='table', contract={'enforced': true}) }}
-- Customer grain: every purchasing customer of dim_customer_360 with the ML outputs beside them
-- (k-means segment, churn score and tier, predicted value, revenue at risk, action and drivers), one
-- row per customer, for the dashboard's per-customer views (scatter samples, the action table) and
-- other BI tools, and the ML figures by segment and tier: one table scan instead of joins of a
-- million customers on every filter change (DECISIONLOG "The dashboard at 1 M customers").
-- Customers without an ML row keep null ML columns (has_churn_score false).
{%- set columns = ['customer_id', 'membership', 'country_code', 'completed_orders', 'net_revenue',
                   'annual_income', 'spending_score', 'spending_quadrant', 'rfm_segment', 'loyalty_tier',
                   'frequency_band', 'is_repeat_customer', 'customer_status', 'is_active_in_window',
                   'recency_days', 'recency_score', 'frequency_score', 'monetary_score', 'gender', 'age_group',
                   'children_status', 'preferred_category', 'ml_cluster_id', 'ml_segment', 'has_churn_score',
                   'action_rank', 'segment_name', 'last_order_date', 'churn_probability', 'churn_risk_tier',
                   'predicted_clv_12m', 'revenue_at_risk', 'recommended_action', 'churn_driver_1',
                   'churn_driver_2', 'churn_driver_3'] %}
with

customers as (

    select
        customer_id,
        membership,
        country_code,
        completed_orders,
        net_revenue,
        annual_income,
        spending_score,
        spending_quadrant,
        rfm_segment,
        loyalty_tier,
        frequency_band,
        is_repeat_customer,
        customer_status,
        is_active_in_window,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        gender,
        age_group,
        children_status,
        preferred_category
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

segments as (

    select customer_id, cluster_id, segment from {{ ref('ml_customer_segments') }}

),

scores as (

    select customer_id, churn_probability, churn_risk_tier from {{ ref('ml_customer_churn_scores') }}

),

actions as (

    select
        customer_id,
        action_rank,
        segment_name,
        last_order_date,
        predicted_clv_12m,
        revenue_at_risk,
        recommended_action,
        churn_driver_1,
        churn_driver_2,
        churn_driver_3
    from {{ ref('ml_customer_actions') }}

),

joined as (

    select
        customers.*,
        segments.cluster_id as ml_cluster_id,
        segments.segment as ml_segment,
        scores.customer_id is not null as has_churn_score,
        actions.action_rank,
        actions.segment_name,
        cast(actions.last_order_date as date) as last_order_date,
        scores.churn_probability,
        scores.churn_risk_tier,
        actions.predicted_clv_12m,
        actions.revenue_at_risk,
        actions.recommended_action,
        actions.churn_driver_1,
        actions.churn_driver_2,
        actions.churn_driver_3
    from customers
    left join segments
        on customers.customer_id = segments.customer_id
    left join scores
        on customers.customer_id = scores.customer_id
    left join actions
        on customers.customer_id = actions.customer_id

),

final as (

    select
        {{ typed_columns(columns) }}
    from joined

)

select * from final
