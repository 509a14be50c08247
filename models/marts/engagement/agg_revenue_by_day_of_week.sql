-- Day-of-week grain: one row per ISO day of week (Monday = 1 ... Sunday = 7), with completed orders
-- and net revenue before the as-of date, the number of such days in the period, and the average
-- revenue per day.
with

days as (

    select date_day, iso_day_of_week from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

daily_orders as (

    select order_date, completed_orders, net_revenue from {{ ref('int_daily_orders') }}

),

aggregated as (

    select
        days.iso_day_of_week,
        count(*) as days_in_period,
        sum(coalesce(daily_orders.completed_orders, 0)) as completed_orders,
        sum(coalesce(daily_orders.net_revenue, 0)) as net_revenue
    from days
    left join daily_orders
        on days.date_day = daily_orders.order_date
    group by days.iso_day_of_week

),

final as (

    select
        cast(iso_day_of_week as {{ dbt.type_bigint() }}) as iso_day_of_week,
        cast(
            case iso_day_of_week
                when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
                when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
            end as {{ dbt.type_string() }}
        ) as day_name,
        cast(days_in_period as {{ dbt.type_bigint() }}) as days_in_period,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(net_revenue / nullif(sum(net_revenue) over (), 0) as {{ type_double() }}) as revenue_share,
        cast(net_revenue / nullif(days_in_period, 0) as {{ type_double() }}) as average_daily_revenue,
        cast(net_revenue / nullif(completed_orders, 0) as {{ type_double() }}) as average_order_value
    from aggregated

)

select * from final
