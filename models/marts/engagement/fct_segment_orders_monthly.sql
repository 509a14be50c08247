-- Month x segment grain: for every calendar month up to the as-of date and every segment of
-- int_customer_segments (overall, membership, RFM segment, loyalty tier, spending quadrant), the
-- segment's completed orders, net revenue, active customers and new customers that month.
-- Customers are placed in the segment they are in at the as-of date.
with

months as (

    {{ months_before_as_of_date() }}

),

customer_months as (

    select customer_id, month_start, orders_placed, completed_orders, net_revenue
    from {{ ref('int_customer_months') }}

),

first_orders as (

    {{ purchaser_first_orders() }}

),

customer_segments as (

    select customer_id, segment_type, segment, segment_sort_order
    from {{ ref('int_customer_segments') }}

),

customer_month_flags as (

    select
        customer_months.*,
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

    {{ sum_by_segment_and_period('customer_month_flags', 'month_start', {
        'orders_placed': 'orders_placed', 'completed_orders': 'completed_orders', 'net_revenue': 'net_revenue',
        'active_customers': 'is_active', 'new_customers': 'is_new'
    }) }}

),

{{ segment_period_spine('months', 'month_start') }},

final as (

    select
        {{ segment_spine_columns('month_start') }},
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
    {{ join_to_segment_spine('aggregated', 'month_start', 'month_start') }}

)

select * from final
