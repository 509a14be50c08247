{%- set window_days = integer_var('active_window_days', 1) %}
{%- set constants = {'window_days': window_days | string} %}
{{ config(**customer_grain_config(purchasers_only=true, constants=constants)) }}
-- Customer x activity spell grain: each purchasing customer's completed order days before the as-of
-- date, merged into spells of activity on a rolling window (var active_window_days, default 30): an
-- order keeps the customer active on its day and the window's next days, and orders at most the
-- window apart extend the spell. active_from is the spell's first order day, active_until the first
-- day after it on which the customer is no longer active (last order day + the window).
-- The rolling-active marts (fct_active_customers_daily, agg_bi_active_daily) count +1 on active_from
-- and -1 on active_until over a date spine, without a customer x day table.
-- Incremental like int_customer_months (incremental_customer_grain docs block); a changed window
-- recomputes every customer.
with

customers as (

    {{ customers_to_compute(purchasers_only=true, constants=constants) }}

),

order_days as (

    select distinct
        fct_orders.customer_id,
        fct_orders.order_date
    from {{ ref('fct_orders') }} as fct_orders
    {%- if is_incremental() %}
    inner join customers
        on fct_orders.customer_id = customers.customer_id
    {%- endif %}
    where fct_orders.is_completed and fct_orders.order_date < {{ as_of_date() }}

),

gaps as (

    select
        customer_id,
        order_date,
        lag(order_date) over (partition by customer_id order by order_date) as previous_order_date
    from order_days

),

spell_starts as (

    select
        customer_id,
        order_date,
        case
            when previous_order_date is null then 1
            when {{ dbt.datediff('previous_order_date', 'order_date', 'day') }} > {{ window_days }} then 1
            else 0
        end as is_spell_start
    from gaps

),

spell_numbers as (

    select
        customer_id,
        order_date,
        sum(is_spell_start) over (
            partition by customer_id
            order by order_date
            rows between unbounded preceding and current row
        ) as spell_number
    from spell_starts

),

spells as (

    select
        customer_id,
        min(order_date) as active_from,
        max(order_date) as last_order_date,
        count(*) as order_days
    from spell_numbers
    group by customer_id, spell_number

),

final as (

    select
        cast(spells.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(spells.active_from as date) as active_from,
        cast({{ dbt.dateadd('day', window_days, 'spells.last_order_date') }} as date) as active_until,
        cast(spells.order_days as {{ dbt.type_bigint() }}) as order_days,
        cast(customers.window_days as {{ dbt.type_bigint() }}) as window_days,
        customers.orders_fingerprint
    from spells
    inner join customers
        on spells.customer_id = customers.customer_id

)

select * from final
