-- Day x segment grain: for every day before the as-of date (the dim_date spine) and every segment
-- of int_customer_segments (overall, membership, RFM segment, loyalty tier, spending quadrant),
-- the customers active on a rolling window (var active_window_days, default 30): at least one
-- completed order in the window of days ending on and including the day.
--
-- Built without a customer x day table: each customer's completed order days are merged into
-- activity spells (an order keeps the customer active for the window's days; orders closer than
-- the window extend the spell), each spell adds +1 on its first day and -1 on the day after it
-- ends, and a running sum over the date spine gives the active count.
{%- set window_days = integer_var('active_window_days', 1) %}

with

days as (

    select date_day from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

order_days as (

    select distinct customer_id, order_date
    from {{ ref('fct_orders') }}
    where is_completed and order_date < {{ as_of_date() }}

),

customer_segments as (

    select customer_id, segment_type, segment, segment_sort_order
    from {{ ref('int_customer_segments') }}

),

customers_first_orders as (

    {{ purchaser_first_orders() }}

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
        max(order_date) as last_order_date
    from spell_numbers
    group by customer_id, spell_number

),

events as (

    select customer_id, active_from as event_date, 1 as active_change, 0 as acquired_change
    from spells
    union all
    select
        customer_id,
        cast({{ dbt.dateadd('day', window_days, 'last_order_date') }} as date) as event_date,
        -1 as active_change,
        0 as acquired_change
    from spells
    union all
    select customer_id, first_order_date as event_date, 0 as active_change, 1 as acquired_change
    from customers_first_orders

),

segment_events as (

    {{ sum_by_segment_and_period('events', 'event_date', {
        'active_change': 'active_change', 'acquired_change': 'acquired_change'
    }) }}

),

{{ segment_period_spine('days', 'date_day') }},

final as (

    select
        {{ segment_spine_columns('date_day') }},
        cast(sum(coalesce(segment_events.active_change, 0)) over (
            partition by spine.segment_type, spine.segment
            order by spine.date_day
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as active_customers,
        cast(sum(coalesce(segment_events.acquired_change, 0)) over (
            partition by spine.segment_type, spine.segment
            order by spine.date_day
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as customers_acquired_to_date,
        cast({{ window_days }} as {{ dbt.type_bigint() }}) as window_days
    from spine
    {{ join_to_segment_spine('segment_events', 'date_day', 'event_date') }}

)

select * from final
