{#- The seasonality marts, built by one macro: completed orders and net revenue before the as-of date per
    value of a dim_date column `part` (e.g. iso_day_of_week, month_number), with the number of such days
    in the period and the average revenue per day. `labels` names the values 1, 2, ... in order, written
    to column `label_column`. Without amounts in the data (row rule R8) the money columns are null, not 0. -#}

{% macro revenue_by_calendar_part(part, label_column, labels) -%}
with

days as (

    select date_day, {{ part }} from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

daily_orders as (

    select order_date, completed_orders, net_revenue from {{ ref('int_daily_orders') }}

),

amounts as (

    select count(net_revenue) > 0 as has_amounts from daily_orders

),

aggregated as (

    select
        days.{{ part }},
        count(*) as days_in_period,
        sum(coalesce(daily_orders.completed_orders, 0)) as completed_orders,
        sum(coalesce(daily_orders.net_revenue, case when amounts.has_amounts then 0 end)) as net_revenue
    from days
    cross join amounts
    left join daily_orders
        on days.date_day = daily_orders.order_date
    group by days.{{ part }}

),

final as (

    select
        cast({{ part }} as {{ dbt.type_bigint() }}) as {{ part }},
        cast(
            case {{ part }}
                {%- for label in labels %}
                when {{ loop.index }} then '{{ label }}'
                {%- endfor %}
            end as {{ dbt.type_string() }}
        ) as {{ label_column }},
        cast(days_in_period as {{ dbt.type_bigint() }}) as days_in_period,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(net_revenue / nullif(sum(net_revenue) over (), 0) as {{ type_double() }}) as revenue_share,
        cast(net_revenue / nullif(days_in_period, 0) as {{ type_double() }}) as average_daily_revenue,
        cast(net_revenue / nullif(completed_orders, 0) as {{ type_double() }}) as average_order_value
    from aggregated

)

select * from final
{%- endmacro %}
