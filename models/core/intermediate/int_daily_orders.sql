-- Day grain: completed orders and net revenue per order date before the as-of date (days without
-- orders have no row). The seasonality marts aggregate it over the calendar.
with

orders as (

    select order_date, is_completed, net_revenue
    from {{ ref('fct_orders') }}
    where order_date < {{ as_of_date() }}

),

final as (

    select
        cast(order_date as date) as order_date,
        cast(sum(case when is_completed then 1 else 0 end) as {{ dbt.type_bigint() }}) as completed_orders,
        cast(sum(net_revenue) as {{ type_double() }}) as net_revenue
    from orders
    group by order_date

)

select * from final
