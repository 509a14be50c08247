-- Cohort x month-offset grain: for every monthly cohort (customers grouped by the month of their
-- first completed order) and every month from the cohort month to the last month before the as-of
-- date, the customers of the cohort active that month (at least one completed order), the
-- retention rate, and the cohort's revenue that month and cumulated per cohort customer.
with

customer_orders as (

    select customer_id, first_order_date
    from {{ ref('int_customer_orders') }}
    where completed_orders > 0

),

customer_months as (

    select customer_id, month_start, completed_orders, net_revenue
    from {{ ref('int_customer_months') }}
    where completed_orders > 0

),

months as (

    select distinct month_start from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

cohort_members as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as cohort_month
    from customer_orders

),

cohort_sizes as (

    select cohort_month, count(*) as cohort_size
    from cohort_members
    group by cohort_month

),

cohort_activity as (

    select
        cohort_members.cohort_month,
        customer_months.month_start as activity_month,
        count(*) as active_customers,
        sum(customer_months.completed_orders) as completed_orders,
        sum(customer_months.net_revenue) as net_revenue
    from customer_months
    inner join cohort_members
        on customer_months.customer_id = cohort_members.customer_id
    group by
        cohort_members.cohort_month,
        customer_months.month_start

),

grid as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        months.month_start as activity_month
    from cohort_sizes
    inner join months
        on months.month_start >= cohort_sizes.cohort_month

),

joined as (

    select
        grid.cohort_month,
        grid.activity_month,
        {{ dbt.datediff('grid.cohort_month', 'grid.activity_month', 'month') }} as months_since_first_order,
        grid.cohort_size,
        coalesce(cohort_activity.active_customers, 0) as active_customers,
        coalesce(cohort_activity.completed_orders, 0) as completed_orders,
        coalesce(cohort_activity.net_revenue, 0) as net_revenue
    from grid
    left join cohort_activity
        on
            grid.cohort_month = cohort_activity.cohort_month
            and grid.activity_month = cohort_activity.activity_month

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(months_since_first_order as {{ dbt.type_bigint() }}) as months_since_first_order,
        cast(activity_month as date) as activity_month,
        cast(cohort_size as {{ dbt.type_bigint() }}) as cohort_size,
        cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
        cast(cast(active_customers as {{ type_double() }}) / cohort_size as {{ type_double() }}) as retention_rate,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(
            sum(net_revenue) over (
                partition by cohort_month
                order by activity_month
                rows between unbounded preceding and current row
            ) / cohort_size as {{ type_double() }}
        ) as cumulative_revenue_per_customer
    from joined

)

select * from final
