-- Customer x month grain: each customer's orders dated before the as-of date, rolled up by calendar
-- month. The one pass over fct_orders that the customer marts share.
{{ config(materialized='table') }}

with

orders as (

    select
        customer_id,
        order_date,
        is_completed,
        gross_revenue,
        returns,
        net_revenue
    from {{ ref('fct_orders') }}
    where order_date < {{ as_of_date() }}

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as orders_placed,
        cast(sum(case when is_completed then 1 else 0 end) as {{ dbt.type_bigint() }}) as completed_orders,
        cast(sum(gross_revenue) as {{ type_double() }}) as gross_revenue,
        cast(sum(returns) as {{ type_double() }}) as returns,
        cast(sum(net_revenue) as {{ type_double() }}) as net_revenue,
        cast(min(case when is_completed then order_date end) as date) as first_completed_order_date,
        cast(max(case when is_completed then order_date end) as date) as last_completed_order_date
    from orders
    group by
        customer_id,
        {{ dbt.date_trunc('month', 'order_date') }}

)

select * from final
