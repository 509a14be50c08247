{{ config(**customer_grain_config()) }}
-- Customer x month grain: each customer's orders dated before the as-of date, rolled up by calendar
-- month. The one pass over fct_orders that the customer marts share.
-- Incremental: a run recomputes only the customers whose orders changed (their fingerprint in
-- int_customer_order_fingerprints differs from the one stored on their rows); see the
-- incremental_customer_grain docs block.
with

customers as (

    {{ customers_to_compute() }}

),

orders as (

    select
        fct_orders.customer_id,
        fct_orders.order_date,
        fct_orders.is_completed,
        fct_orders.gross_revenue,
        fct_orders.returns,
        fct_orders.net_revenue
    from {{ ref('fct_orders') }} as fct_orders
    {%- if is_incremental() %}
    inner join customers
        on fct_orders.customer_id = customers.customer_id
    {%- endif %}
    where fct_orders.order_date < {{ as_of_date() }}

),

months as (

    select
        customer_id,
        {{ dbt.date_trunc('month', 'order_date') }} as month_start,
        count(*) as orders_placed,
        sum(case when is_completed then 1 else 0 end) as completed_orders,
        sum(gross_revenue) as gross_revenue,
        sum(returns) as returns,
        sum(net_revenue) as net_revenue,
        min(case when is_completed then order_date end) as first_completed_order_date,
        max(case when is_completed then order_date end) as last_completed_order_date
    from orders
    group by
        customer_id,
        {{ dbt.date_trunc('month', 'order_date') }}

),

final as (

    select
        cast(months.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(months.month_start as date) as month_start,
        cast(months.orders_placed as {{ dbt.type_bigint() }}) as orders_placed,
        cast(months.completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(months.gross_revenue as {{ type_double() }}) as gross_revenue,
        cast(months.returns as {{ type_double() }}) as returns,
        cast(months.net_revenue as {{ type_double() }}) as net_revenue,
        cast(months.first_completed_order_date as date) as first_completed_order_date,
        cast(months.last_completed_order_date as date) as last_completed_order_date,
        customers.orders_fingerprint
    from months
    inner join customers
        on months.customer_id = customers.customer_id

)

select * from final
