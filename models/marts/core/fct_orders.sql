{{
    config(
        materialized=order_facts_materialization(),
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail',
        meta={'rebuild_when_source_replaced': true},
        post_hook="{{ delete_orders_gone_from_source('select order_id from ' ~ ref('stg_raw__orders')) }}"
    )
}}
-- One row per order: amounts from its lines, status flags, and the customer's order sequence.
-- net_revenue is THE revenue measure: net of discounts, completed orders only (0 otherwise).
-- Incremental: a run computes every order's row, writes the orders whose row differs from the
-- loaded one (a changed order also renumbers its customer's other orders: those rows differ too)
-- and deletes the orders gone from the raw files; see the incremental_order_facts docs block.
with

stg_orders as (

    select * from {{ ref('stg_raw__orders') }}

),

lines as (

    select * from {{ ref('fct_order_lines') }}

),

orders as (

    select * from stg_orders

),

order_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount
    from lines
    group by order_id

),

joined as (

    select
        orders.order_id,
        orders.customer_id,
        orders.channel,
        orders.order_ts,
        cast(orders.order_ts as date) as order_date,
        orders.status,
        orders.status = 'completed' as is_completed,
        orders.status = 'cancelled' as is_cancelled,
        orders.status = 'returned' as is_returned,
        coalesce(order_totals.line_count, 0) as line_count,
        coalesce(order_totals.item_count, 0) as item_count,
        round(coalesce(order_totals.gross_amount, 0), 2) as gross_amount,
        round(coalesce(order_totals.discount_amount, 0), 2) as discount_amount,
        round(coalesce(order_totals.net_amount, 0), 2) as net_amount,
        {{ order_source_updated_at('orders.updated_at', 'orders.order_ts') }} as source_updated_at
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id

),

sequenced as (

    -- both sequences in one pass over the same window (one sort instead of two):
    -- the n-th completed order is the one at which the running count of completed orders reaches n
    select
        *,
        row_number() over (
            partition by customer_id
            order by order_ts, order_id
        ) as customer_order_sequence,
        sum(case when is_completed then 1 else 0 end) over (
            partition by customer_id
            order by order_ts, order_id
            rows between unbounded preceding and current row
        ) as completed_orders_so_far
    from joined

),

final as (

    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(order_ts as {{ dbt.type_timestamp() }}) as order_ts,
        cast(order_date as date) as order_date,
        cast(status as {{ dbt.type_string() }}) as status,
        is_completed,
        is_cancelled,
        is_returned,
        cast(line_count as {{ dbt.type_bigint() }}) as line_count,
        cast(item_count as {{ type_double() }}) as item_count,
        cast(gross_amount as {{ type_double() }}) as gross_amount,
        cast(discount_amount as {{ type_double() }}) as discount_amount,
        cast(net_amount as {{ type_double() }}) as net_amount,
        cast(case when is_completed then net_amount else 0 end as {{ type_double() }}) as net_revenue,
        cast(customer_order_sequence as {{ dbt.type_bigint() }}) as customer_order_sequence,
        cast(case when is_completed then completed_orders_so_far end as {{ dbt.type_bigint() }})
            as completed_order_sequence,
        coalesce(is_completed and completed_orders_so_far = 1, false) as is_first_completed_order,
        cast(source_updated_at as {{ dbt.type_timestamp() }}) as source_updated_at
    from sequenced

)

select * from final
{%- if is_incremental() %}
where order_id in ({{ changed_order_ids('final') }})
{%- endif %}
