-- Customer x month grain: one row per customer and calendar month in which the customer placed at
-- least one order (any status) before the as-of date. The customer activity matrix, and the grain
-- a BI tool filters by month range, membership and country while still counting distinct
-- customers correctly: count(distinct customer_id) over the filtered rows where is_active.
with

customer_months as (

    select * from {{ ref('int_customer_months') }}

),

customers as (

    select
        customer_id,
        first_order_date,
        membership,
        country_code,
        country_name,
        rfm_segment,
        loyalty_tier
    from {{ ref('dim_customer_360') }}

),

joined as (

    select
        customer_months.customer_id,
        customer_months.month_start,
        customer_months.orders_placed,
        customer_months.completed_orders,
        customer_months.net_revenue,
        customers.membership,
        customers.country_code,
        customers.country_name,
        customers.rfm_segment,
        customers.loyalty_tier,
        cast({{ dbt.date_trunc('month', 'customers.first_order_date') }} as date) as first_order_month
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(month_start as date) as month_start,
        cast(orders_placed as {{ dbt.type_bigint() }}) as orders_placed,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        completed_orders > 0 as is_active,
        coalesce(month_start = first_order_month, false) as is_first_purchase_month,
        cast({{ dbt.datediff('first_order_month', 'month_start', 'month') }} as {{ dbt.type_bigint() }})
            as months_since_first_purchase,
        cast(membership as {{ dbt.type_string() }}) as membership,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier
    from joined

)

select * from final
