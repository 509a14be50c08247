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
-- A table by default. Incremental (var order_facts_materialization: incremental): a run computes
-- every order's row, writes the orders whose row differs from the
-- loaded one (a changed order also renumbers its customer's other orders: those rows differ too)
-- and deletes the orders gone from the raw files; see the incremental_order_facts docs block.
with

order_amounts as (

    select * from {{ ref('int_order_amounts') }}

),

attribution as (

    -- R6: a return order referring to another staged order of the same customer (the same match
    -- as base_raw__orders, whose flag unmatched_original_order marks the references that fail)
    select
        credits.order_id,
        originals.order_id as attributed_to_order_id,
        credits.own_returns
    from order_amounts as credits
    inner join order_amounts as originals
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
        order_amounts.*,
        attribution.attributed_to_order_id,
        case
            when order_amounts.is_amount_unknown then null
            else round(
                    case when attribution.attributed_to_order_id is null then order_amounts.own_returns else 0 end
                    + coalesce(attributed_returns.attributed_returns, 0),
                    2
                )
        end as returns
    from order_amounts
    left join attribution
        on order_amounts.order_id = attribution.order_id
    left join attributed_returns
        on order_amounts.order_id = attributed_returns.order_id

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
