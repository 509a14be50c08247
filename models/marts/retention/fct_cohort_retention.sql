-- Cohort x month-offset grain: for every monthly cohort (customers grouped by the month of their
-- first completed order) and every month from the cohort month to the last month before the as-of
-- date, the customers of the cohort active that month (at least one completed order), the
-- retention rate, and the cohort's revenue that month and cumulated per cohort customer.
-- A return (credit note, status returned) counts in the net revenue of the month of its own date
-- (row rule R6) but does not make the customer active that month: retention counts purchases only.
with

customer_months as (

    select customer_id, month_start, completed_orders, net_revenue
    from {{ ref('int_customer_months') }}

),

-- whether the orders carry amounts: without any (row rule R8) the revenue columns are null, not 0
amounts as (

    select count(net_revenue) > 0 as has_amounts from customer_months

),

customer_orders as (

    {{ purchaser_first_orders() }}

),

months as (

    {{ months_before_as_of_date() }}

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

member_months as (

    select
        cohort_members.cohort_month,
        -- a credit dated before the customer's first purchase (no purchase month before it) counts in
        -- month 0, so the cohorts' revenue still adds up to the purchasers' net revenue
        greatest(customer_months.month_start, cohort_members.cohort_month) as activity_month,
        customer_months.completed_orders,
        customer_months.net_revenue
    from customer_months
    inner join cohort_members
        on customer_months.customer_id = cohort_members.customer_id

),

cohort_activity as (

    select
        cohort_month,
        activity_month,
        count(case when completed_orders > 0 then 1 end) as active_customers,
        sum(completed_orders) as completed_orders,
        sum(net_revenue) as net_revenue
    from member_months
    group by
        cohort_month,
        activity_month

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
        coalesce(cohort_activity.net_revenue, case when amounts.has_amounts then 0 end) as net_revenue
    from grid
    cross join amounts
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
