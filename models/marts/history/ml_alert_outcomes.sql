{{ config(enabled=(target.type != 'spark' or (target.cluster or target.endpoint) is not none)) }}
-- Alert grain: every alert fired (ml_alert_history.is_new_alert) and its outcome: whether the
-- customer placed a completed order within churn_horizon_days (var) from the alert's as-of date.
-- An alert is right when the customer did not order (the churn it warned of happened); it is pending
-- while its horizon has not ended by the current as-of date.
with

alerts as (

    select * from {{ ref('ml_alert_history') }}
    where is_new_alert

),

completed_orders as (

    select customer_id, order_date from {{ ref('fct_orders') }}
    where is_completed

),

as_of as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

horizons as (

    select
        alerts.*,
        cast({{ dbt.dateadd('day', integer_var('churn_horizon_days', 1), 'alerts.as_of_date') }} as date) as horizon_end_date
    from alerts

),

orders_in_horizon as (

    select
        horizons.as_of_date,
        horizons.customer_id,
        count(completed_orders.customer_id) as orders_in_horizon
    from horizons
    left join completed_orders
        on
            horizons.customer_id = completed_orders.customer_id
            and completed_orders.order_date >= horizons.as_of_date
            and completed_orders.order_date < horizons.horizon_end_date
    group by horizons.as_of_date, horizons.customer_id

),

final as (

    select
        horizons.as_of_date,
        horizons.customer_id,
        horizons.segment,
        horizons.high_value_basis,
        horizons.churn_probability,
        horizons.net_revenue,
        horizons.horizon_end_date,
        cast(orders_in_horizon.orders_in_horizon as {{ dbt.type_bigint() }}) as orders_in_horizon,
        horizons.horizon_end_date <= as_of.as_of_date as is_judged,
        cast(case
            when horizons.horizon_end_date > as_of.as_of_date then 'pending'
            when orders_in_horizon.orders_in_horizon > 0 then 'ordered'
            else 'no order'
        end as {{ dbt.type_string() }}) as outcome,
        case
            when horizons.horizon_end_date <= as_of.as_of_date then orders_in_horizon.orders_in_horizon = 0
        end as is_correct
    from horizons
    inner join orders_in_horizon
        on
            horizons.as_of_date = orders_in_horizon.as_of_date
            and horizons.customer_id = orders_in_horizon.customer_id
    cross join as_of

)

select * from final
