-- One row: the headline customer KPIs as of the as-of date (the KPI cards of the dashboards).
-- "Customers" are purchasing customers: at least one completed order before the as-of date.
with

customers as (

    select
        is_purchaser,
        membership,
        annual_income,
        orders_placed,
        completed_orders,
        gross_revenue,
        returns,
        net_revenue,
        spending_score,
        customer_status,
        is_active_in_window
    from {{ ref('dim_customer_360') }}

),

totals as (

    select
        sum(case when is_purchaser then 1 else 0 end) as total_customers,
        sum(case when is_purchaser then 0 else 1 end) as customers_without_purchase,
        sum(orders_placed) as orders_placed,
        sum(completed_orders) as total_orders,
        sum(gross_revenue) as gross_revenue,
        sum(returns) as returns,
        sum(net_revenue) as net_revenue,
        sum(case when is_purchaser then net_revenue end) as purchaser_net_revenue,
        -- without amounts in the data (row rule R8) every net_revenue is null: money KPIs stay null
        count(net_revenue) > 0 or count(*) = 0 as has_amounts,
        sum(case when {{ is_repeat_customer('completed_orders') }} then 1 else 0 end) as repeat_customers,
        sum(case when is_purchaser and membership = 'Prime' then 1 else 0 end) as prime_customers,
        sum(case when is_purchaser and membership in ('Prime', 'Non-Prime') then 1 else 0 end)
            as customers_with_known_membership,
        avg(case when is_purchaser then annual_income end) as average_annual_income,
        avg(case when is_purchaser then spending_score end) as average_spending_score,
        sum(case when is_purchaser and is_active_in_window then 1 else 0 end) as active_customers,
        sum(case when customer_status = 'At Risk' then 1 else 0 end) as at_risk_customers,
        sum(case when customer_status = 'Churned' then 1 else 0 end) as churned_customers
    from customers

),

final as (

    select
        cast({{ as_of_date() }} as date) as as_of_date,
        cast(coalesce(total_customers, 0) as {{ dbt.type_bigint() }}) as total_customers,
        cast(coalesce(customers_without_purchase, 0) as {{ dbt.type_bigint() }}) as customers_without_purchase,
        cast(coalesce(total_orders, 0) as {{ dbt.type_bigint() }}) as total_orders,
        cast(coalesce(orders_placed, 0) as {{ dbt.type_bigint() }}) as orders_placed,
        cast(case when has_amounts then coalesce(gross_revenue, 0) end as {{ type_double() }}) as gross_revenue,
        cast(case when has_amounts then coalesce(returns, 0) end as {{ type_double() }}) as returns,
        cast(case when has_amounts then coalesce(net_revenue, 0) end as {{ type_double() }}) as net_revenue,
        cast(case when has_amounts then coalesce(purchaser_net_revenue, 0) end as {{ type_double() }}) as purchaser_net_revenue,
        cast(net_revenue / nullif(total_orders, 0) as {{ type_double() }}) as average_order_value,
        cast(net_revenue / nullif(total_customers, 0) as {{ type_double() }}) as lifetime_value,
        cast(coalesce(repeat_customers, 0) as {{ dbt.type_bigint() }}) as repeat_customers,
        cast(cast(repeat_customers as {{ type_double() }}) / nullif(total_customers, 0) as {{ type_double() }})
            as repeat_purchase_rate,
        {{ share_var('repeat_rate_target') }} as repeat_rate_target,
        cast({{ repeat_customer_min_orders() }} as {{ dbt.type_bigint() }}) as repeat_customer_min_orders,
        cast(coalesce(prime_customers, 0) as {{ dbt.type_bigint() }}) as prime_customers,
        cast(
            cast(prime_customers as {{ type_double() }}) / nullif(customers_with_known_membership, 0)
            as {{ type_double() }}
        ) as prime_share,
        cast(average_annual_income as {{ type_double() }}) as average_annual_income,
        cast(average_spending_score as {{ type_double() }}) as average_spending_score,
        cast({{ integer_var('active_window_days', 1) }} as {{ dbt.type_bigint() }}) as active_window_days,
        cast(coalesce(active_customers, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(at_risk_customers, 0) as {{ dbt.type_bigint() }}) as at_risk_customers,
        cast(cast(at_risk_customers as {{ type_double() }}) / nullif(total_customers, 0) as {{ type_double() }})
            as at_risk_rate,
        cast(coalesce(churned_customers, 0) as {{ dbt.type_bigint() }}) as churned_customers,
        cast(cast(churned_customers as {{ type_double() }}) / nullif(total_customers, 0) as {{ type_double() }})
            as churn_rate
    from totals

)

select * from final
