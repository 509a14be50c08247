{{ config(materialized='table') }}
-- One row per staged order: its line totals, its status (a completed order whose every line is a
-- return line is a return order) and its own money measures before return attribution (row rule
-- R6); fct_orders adds the attribution and the customer's order sequence. A table, not a CTE of
-- fct_orders: at 10 M orders the joins, the attribution and the window in one query needed more
-- than the default memory_limit (3 GB, out of memory with 2 threads); in two steps each fits
-- (DECISIONLOG "fct_orders in two steps").
with

orders as (

    select order_id, customer_id, channel, order_ts, original_order_id, status, updated_at
    from {{ ref('stg_raw__orders') }}

),

lines as (

    select order_id, quantity, gross_amount, discount_amount, net_amount, is_return, is_outlier
    from {{ ref('fct_order_lines') }}

),

order_totals as (

    -- row rule R6: gross = positive line values before discounts; returns = the absolute value of
    -- negative lines (all lines of a credit note); without amounts (R8) every measure is null
    select
        lines.order_id,
        count(*) as line_count,
        sum(lines.quantity) as item_count,
        sum(lines.gross_amount) as gross_amount,
        sum(lines.discount_amount) as discount_amount,
        sum(lines.net_amount) as net_amount,
        sum(case when not lines.is_return then lines.gross_amount end) as positive_gross,
        sum(case when not lines.is_return then lines.discount_amount end) as positive_discounts,
        sum(case when lines.is_return then abs(lines.net_amount) end) as return_value,
        max(case when lines.is_outlier then 1 else 0 end) = 1 as has_outlier_line,
        sum(case when lines.is_return then 1 else 0 end) as return_lines
    from lines
    group by lines.order_id

),

statused as (

    select
        orders.order_id,
        orders.customer_id,
        orders.channel,
        orders.order_ts,
        orders.original_order_id,
        cast(orders.order_ts as date) as order_date,
        -- row rule R6: a completed order whose every line is a return line is a return order
        case
            when orders.status = 'completed' and order_totals.return_lines = order_totals.line_count then 'returned'
            else orders.status
        end as status,
        coalesce(order_totals.has_outlier_line, false) as is_outlier,
        coalesce(order_totals.line_count, 0) as line_count,
        coalesce(order_totals.item_count, 0) as item_count,
        case when order_totals.line_count is null then 0 else round(order_totals.gross_amount, 2) end as gross_amount,
        case when order_totals.line_count is null then 0 else round(order_totals.discount_amount, 2) end as discount_amount,
        case when order_totals.line_count is null then 0 else round(order_totals.net_amount, 2) end as net_amount,
        case when order_totals.line_count is null then 0 else round(coalesce(order_totals.positive_gross, 0), 2) end
            as positive_gross,
        case when order_totals.line_count is null then 0 else round(coalesce(order_totals.positive_discounts, 0), 2) end
            as positive_discounts,
        case when order_totals.line_count is null then 0 else round(coalesce(order_totals.return_value, 0), 2) end
            as return_value,
        -- null when the lines carry no amounts (R8)
        order_totals.line_count is not null and order_totals.gross_amount is null as is_amount_unknown,
        {{ order_source_updated_at('orders.updated_at', 'orders.order_ts') }} as source_updated_at
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id

),

joined as (

    select
        statused.*,
        statused.status = 'completed' as is_completed,
        statused.status = 'cancelled' as is_cancelled,
        statused.status = 'returned' as is_returned,
        -- a return order (credit note, or every line negative) carries its refund; other
        -- non-completed orders (cancelled, pending, returned by the status column) carry 0
        statused.status = 'returned' and statused.return_value > 0 as is_return_order
    from statused

),

final as (

    select
        *,
        case
            when is_amount_unknown then null
            when is_completed then positive_gross
            else 0
        end as gross_revenue,
        case
            when is_amount_unknown then null
            when is_completed then positive_discounts
            else 0
        end as discounts,
        case
            when is_amount_unknown then null
            when is_completed or is_return_order then return_value
            else 0
        end as own_returns
    from joined

)

select * from final
