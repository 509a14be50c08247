-- Month-of-year grain: one row per calendar month 1-12 (seasonality), with completed orders and net
-- revenue over every year before the as-of date, the number of days of that month in the period,
-- and the average revenue per day (comparable across months of different lengths and coverage).
with

days as (

    select date_day, month_number from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

daily_orders as (

    select order_date, completed_orders, net_revenue from {{ ref('int_daily_orders') }}

),

aggregated as (

    select
        days.month_number,
        count(*) as days_in_period,
        sum(coalesce(daily_orders.completed_orders, 0)) as completed_orders,
        sum(coalesce(daily_orders.net_revenue, 0)) as net_revenue
    from days
    left join daily_orders
        on days.date_day = daily_orders.order_date
    group by days.month_number

),

final as (

    select
        cast(month_number as {{ dbt.type_bigint() }}) as month_number,
        cast(
            case month_number
                when 1 then 'January' when 2 then 'February' when 3 then 'March' when 4 then 'April'
                when 5 then 'May' when 6 then 'June' when 7 then 'July' when 8 then 'August'
                when 9 then 'September' when 10 then 'October' when 11 then 'November' else 'December'
            end as {{ dbt.type_string() }}
        ) as month_name,
        cast(days_in_period as {{ dbt.type_bigint() }}) as days_in_period,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(net_revenue / nullif(sum(net_revenue) over (), 0) as {{ type_double() }}) as revenue_share,
        cast(net_revenue / nullif(days_in_period, 0) as {{ type_double() }}) as average_daily_revenue,
        cast(net_revenue / nullif(completed_orders, 0) as {{ type_double() }}) as average_order_value
    from aggregated

)

select * from final
