-- Day x segment grain: for every day before the as-of date (the dim_date spine) and every segment
-- of int_customer_segments (overall, membership, RFM segment, loyalty tier, spending quadrant),
-- the customers active on a rolling window (var active_window_days, default 30): at least one
-- completed order in the window of days ending on and including the day.
--
-- Built without a customer x day table: each activity spell of int_customer_activity_spells adds +1
-- on its first day and -1 on the first day after it, and a running sum over the date spine gives the
-- active count.
{%- set window_days = integer_var('active_window_days', 1) %}

with

days as (

    select date_day from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}

),

spells as (

    select customer_id, active_from, active_until
    from {{ ref('int_customer_activity_spells') }}

),

customer_segments as (

    select customer_id, segment_type, segment, segment_sort_order
    from {{ ref('int_customer_segments') }}

),

customers_first_orders as (

    {{ purchaser_first_orders() }}

),

events as (

    select customer_id, active_from as event_date, 1 as active_change, 0 as acquired_change
    from spells
    union all
    select customer_id, active_until as event_date, -1 as active_change, 0 as acquired_change
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
