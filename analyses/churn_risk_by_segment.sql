-- Seed 004: how unevenly is churn risk distributed across segments? One row per behavioural
-- segment: customers per churn-risk tier, the high-risk share and the average churn probability,
-- next to the segment's share of revenue.
with

actions as (

    select segment, churn_risk_tier, churn_probability, net_revenue
    from {{ ref('ml_customer_actions') }}

),

by_segment as (

    select
        segment,
        count(*) as customers,
        cast(sum(case when churn_risk_tier = 'low' then 1 else 0 end) as {{ dbt.type_bigint() }}) as low_risk_customers,
        cast(sum(case when churn_risk_tier = 'medium' then 1 else 0 end) as {{ dbt.type_bigint() }}) as medium_risk_customers,
        cast(sum(case when churn_risk_tier = 'high' then 1 else 0 end) as {{ dbt.type_bigint() }}) as high_risk_customers,
        avg(churn_probability) as average_churn_probability,
        sum(net_revenue) as net_revenue
    from actions
    group by segment

),

final as (

    select
        segment,
        customers,
        low_risk_customers,
        medium_risk_customers,
        high_risk_customers,
        cast(high_risk_customers as {{ type_double() }}) / customers as high_risk_share,
        average_churn_probability,
        net_revenue / nullif(sum(net_revenue) over (), 0) as revenue_share
    from by_segment

)

select * from final
order by average_churn_probability desc, segment asc
