-- kpi_overview equals a direct count over fct_orders before the as-of date: purchasing customers,
-- completed orders, orders placed, net revenue, and repeat customers.
with

orders as (

    select customer_id, is_completed, net_revenue
    from {{ ref('fct_orders') }}
    where order_date < {{ as_of_date() }}

),

per_customer as (

    select customer_id, sum(case when is_completed then 1 else 0 end) as completed_orders
    from orders
    group by customer_id

),

expected as (

    select
        (select count(*) from per_customer where completed_orders > 0) as total_customers,
        (select count(*) from per_customer where {{ is_repeat_customer('completed_orders') }}) as repeat_customers,
        (select count(*) from orders where is_completed) as total_orders,
        (select count(*) from orders) as orders_placed,
        (select coalesce(sum(net_revenue), 0) from orders) as net_revenue

),

kpis as (

    select total_customers, repeat_customers, total_orders, orders_placed, net_revenue
    from {{ ref('kpi_overview') }}

)

select
    kpis.*,
    expected.total_customers as expected_total_customers,
    expected.repeat_customers as expected_repeat_customers,
    expected.total_orders as expected_total_orders,
    expected.orders_placed as expected_orders_placed,
    expected.net_revenue as expected_net_revenue
from kpis
cross join expected
where
    kpis.total_customers <> expected.total_customers
    or kpis.repeat_customers <> expected.repeat_customers
    or kpis.total_orders <> expected.total_orders
    or kpis.orders_placed <> expected.orders_placed
    or abs(kpis.net_revenue - expected.net_revenue) > 0.01
