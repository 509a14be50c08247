-- Month x segment grain: for every calendar month up to the as-of date and every segment of
-- int_customer_segments (overall, membership, RFM segment, loyalty tier, spending quadrant), the
-- segment's completed orders, net revenue, active customers and new customers that month.
-- Customers are placed in the segment they are in at the as-of date.
with

months as (

    select distinct month_start from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

customer_months as (

    select customer_id, month_start, orders_placed, completed_orders, net_revenue
    from {{ ref('int_customer_months') }}

),

first_orders as (

    select customer_id, first_order_date
    from {{ ref('int_customer_orders') }}
    where completed_orders > 0

),

customer_segments as (

    select customer_id, segment_type, segment, segment_sort_order
    from {{ ref('int_customer_segments') }}

),

customer_month_flags as (

    select
        customer_months.customer_id,
        customer_months.month_start,
        customer_months.orders_placed,
        customer_months.completed_orders,
        customer_months.net_revenue,
        case when customer_months.completed_orders > 0 then 1 else 0 end as is_active,
        case
            when customer_months.month_start = {{ dbt.date_trunc('month', 'first_orders.first_order_date') }} then 1
            else 0
        end as is_new
    from customer_months
    inner join first_orders
        on customer_months.customer_id = first_orders.customer_id

),

aggregated as (

    select
        customer_segments.segment_type,
        customer_segments.segment,
        customer_month_flags.month_start,
        sum(customer_month_flags.orders_placed) as orders_placed,
        sum(customer_month_flags.completed_orders) as completed_orders,
        sum(customer_month_flags.net_revenue) as net_revenue,
        sum(customer_month_flags.is_active) as active_customers,
        sum(customer_month_flags.is_new) as new_customers
    from customer_month_flags
    inner join customer_segments
        on customer_month_flags.customer_id = customer_segments.customer_id
    group by
        customer_segments.segment_type,
        customer_segments.segment,
        customer_month_flags.month_start

),

segments as (

    select distinct segment_type, segment, segment_sort_order from customer_segments

),

spine as (

    select
        segments.segment_type,
        segments.segment,
        segments.segment_sort_order,
        months.month_start
    from segments
    cross join months

),

final as (

    select
        cast(spine.month_start as date) as month_start,
        cast(spine.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(spine.segment as {{ dbt.type_string() }}) as segment,
        cast(spine.segment_sort_order as {{ dbt.type_bigint() }}) as segment_sort_order,
        cast(coalesce(aggregated.completed_orders, 0) as {{ dbt.type_bigint() }}) as completed_orders,
        cast(coalesce(aggregated.orders_placed, 0) as {{ dbt.type_bigint() }}) as orders_placed,
        -- 0 in a month without orders; null when the data has no amounts (row rule R8)
        cast(
            coalesce(aggregated.net_revenue, case when count(aggregated.net_revenue) over () > 0 then 0 end)
            as {{ type_double() }}
        ) as net_revenue,
        cast(coalesce(aggregated.active_customers, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(aggregated.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers
    from spine
    left join aggregated
        on
            spine.segment_type = aggregated.segment_type
            and spine.segment = aggregated.segment
            and spine.month_start = aggregated.month_start

)

select * from final
