-- Segment grain: one row per segment type and segment of int_customer_segments (overall,
-- membership, RFM segment, loyalty tier, spending quadrant), with the customers Active, At Risk
-- and Churned under the inactivity rule (vars at_risk_inactivity_days, churn_inactivity_days), the
-- at-risk and churn rates, and the revenue of the at-risk and churned customers.
with

customer_segments as (

    select customer_id, segment_type, segment, segment_sort_order
    from {{ ref('int_customer_segments') }}

),

customers as (

    select customer_id, customer_status, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

aggregated as (

    select
        customer_segments.segment_type,
        customer_segments.segment,
        customer_segments.segment_sort_order,
        count(*) as customers,
        sum(case when customers.customer_status = 'Active' then 1 else 0 end) as active_customers,
        sum(case when customers.customer_status = 'At Risk' then 1 else 0 end) as at_risk_customers,
        sum(case when customers.customer_status = 'Churned' then 1 else 0 end) as churned_customers,
        sum(customers.net_revenue) as net_revenue,
        -- 0 without such customers, null when the data has no amounts (row rule R8)
        coalesce(
            sum(case when customers.customer_status = 'At Risk' then customers.net_revenue end),
            case when count(customers.net_revenue) > 0 then 0 end
        ) as at_risk_net_revenue,
        coalesce(
            sum(case when customers.customer_status = 'Churned' then customers.net_revenue end),
            case when count(customers.net_revenue) > 0 then 0 end
        ) as churned_net_revenue
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    group by
        customer_segments.segment_type,
        customer_segments.segment,
        customer_segments.segment_sort_order

),

final as (

    select
        {{ typed_columns(['segment_type', 'segment', 'segment_sort_order', 'customers', 'active_customers', 'at_risk_customers', 'churned_customers']) }},
        cast(cast(active_customers as {{ type_double() }}) / customers as {{ type_double() }}) as active_rate,
        cast(cast(at_risk_customers as {{ type_double() }}) / customers as {{ type_double() }}) as at_risk_rate,
        cast(cast(churned_customers as {{ type_double() }}) / customers as {{ type_double() }}) as churn_rate,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(at_risk_net_revenue as {{ type_double() }}) as at_risk_net_revenue,
        cast(churned_net_revenue as {{ type_double() }}) as churned_net_revenue,
        cast({{ inactivity_days('at_risk') }} as {{ dbt.type_bigint() }}) as at_risk_inactivity_days,
        cast({{ inactivity_days('churn') }} as {{ dbt.type_bigint() }}) as churn_inactivity_days
    from aggregated

)

select * from final
