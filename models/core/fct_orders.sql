{{ config(**order_facts_config()) }}
-- One row per order: amounts from its lines, status flags, and the customer's order sequence.
-- net_revenue is THE revenue measure (row rule R6): gross_revenue - discounts - returns, where a
-- completed order counts its positive lines as gross and its negative lines as returns, and a
-- return order (credit note, or every line negative) counts its refund as returns (net < 0);
-- other statuses count 0; without amounts (R8) the money measures are null.
-- Attribution (R6): a return order whose original_order_id is another staged order of the same
-- customer moves its refund to that order (the original's returns, so its net revenue drops); the
-- credit keeps its row (status returned, attributed_to_order_id set, returns and net 0), so every
-- refund is counted once. An unmatched reference keeps today's rule (flag unmatched_original_order
-- on the staged order, base_raw__orders).
-- Incremental: a run computes every order's row, writes the orders whose row differs from the
-- loaded one (a changed order also renumbers its customer's other orders: those rows differ too)
-- and deletes the orders gone from the raw files; see the incremental_order_facts docs block.
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

measured as (

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

),

attribution as (

    -- R6: a return order referring to another staged order of the same customer (the same match
    -- as base_raw__orders, whose flag unmatched_original_order marks the references that fail)
    select
        credits.order_id,
        originals.order_id as attributed_to_order_id,
        credits.own_returns
    from measured as credits
    inner join measured as originals
        on
            credits.original_order_id = originals.order_id
            and credits.customer_id = originals.customer_id
            and credits.order_id <> originals.order_id
    where credits.is_return_order

),

attributed_returns as (

    select
        attributed_to_order_id as order_id,
        sum(own_returns) as attributed_returns
    from attribution
    group by attributed_to_order_id

),

attributed as (

    -- a credit's refund moves to its original: the credit's returns 0, the original's returns + it
    select
        measured.*,
        attribution.attributed_to_order_id,
        case
            when measured.is_amount_unknown then null
            else round(
                    case when attribution.attributed_to_order_id is null then measured.own_returns else 0 end
                    + coalesce(attributed_returns.attributed_returns, 0),
                    2
                )
        end as returns
    from measured
    left join attribution
        on measured.order_id = attribution.order_id
    left join attributed_returns
        on measured.order_id = attributed_returns.order_id

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
    from attributed

),

final as (

    select
        {{ typed_columns(['order_id', 'customer_id', 'channel', 'order_ts', 'order_date', 'status']) }},
        is_completed,
        is_cancelled,
        is_returned,
        cast(line_count as {{ dbt.type_bigint() }}) as line_count,
        cast(item_count as {{ type_double() }}) as item_count,
        cast(gross_amount as {{ type_double() }}) as gross_amount,
        cast(discount_amount as {{ type_double() }}) as discount_amount,
        cast(net_amount as {{ type_double() }}) as net_amount,
        cast(gross_revenue as {{ type_double() }}) as gross_revenue,
        cast(discounts as {{ type_double() }}) as discounts,
        cast(returns as {{ type_double() }}) as returns,
        cast(round(gross_revenue - discounts - returns, 2) as {{ type_double() }}) as net_revenue,
        is_return_order,
        cast(attributed_to_order_id as {{ dbt.type_string() }}) as attributed_to_order_id,
        is_outlier,
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
