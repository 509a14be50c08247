{{ config(materialized='table') }}
-- Customer grain: every customer with an order (any status) dated before the as-of date, with a
-- fingerprint of those orders' columns that the customer grain reads. Computed in full every run (one
-- scan of fct_orders); the incremental customer-grain models recompute only the customers whose
-- fingerprint differs from the one their rows were computed from (macros/marts/incremental_customers.sql).
with

orders as (

    select
        customer_id,
        order_id,
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
        cast(count(*) as {{ dbt.type_bigint() }}) as orders_placed,
        cast(sum(case when is_completed then 1 else 0 end) as {{ dbt.type_bigint() }}) as completed_orders,
        {{ row_set_fingerprint(['order_id', 'order_date', 'is_completed', 'gross_revenue', 'returns', 'net_revenue']) }}
            as orders_fingerprint
    from orders
    group by customer_id

)

select * from final
