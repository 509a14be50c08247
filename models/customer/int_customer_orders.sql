{{ config(materialized='table') }}
-- A table, not a view: five marts read it, and a view would re-aggregate all orders for each.
-- Customer grain: every customer with at least one order (any status) dated before the as-of date,
-- with their completed-order counts, net revenue, first and last purchase, recency and tenure.
with

customer_months as (

    select * from {{ ref('int_customer_months') }}

),

rolled_up as (

    select
        customer_id,
        sum(orders_placed) as orders_placed,
        sum(completed_orders) as completed_orders,
        sum(gross_revenue) as gross_revenue,
        sum(returns) as returns,
        sum(net_revenue) as net_revenue,
        sum(case when completed_orders > 0 then 1 else 0 end) as active_months,
        min(first_completed_order_date) as first_order_date,
        max(last_completed_order_date) as last_order_date
    from customer_months
    group by customer_id

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(orders_placed as {{ dbt.type_bigint() }}) as orders_placed,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(round(gross_revenue, 2) as {{ type_double() }}) as gross_revenue,
        cast(round(returns, 2) as {{ type_double() }}) as returns,
        cast(round(net_revenue, 2) as {{ type_double() }}) as net_revenue,
        cast(active_months as {{ dbt.type_bigint() }}) as active_months,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast({{ dbt.datediff('last_order_date', as_of_date(), 'day') }} as {{ dbt.type_bigint() }}) as recency_days,
        cast({{ dbt.datediff('first_order_date', as_of_date(), 'day') }} as {{ dbt.type_bigint() }}) as tenure_days
    from rolled_up

)

select * from final
