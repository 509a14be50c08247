-- depends_on: {{ ref('stg_raw__customers') }}
-- One row per order: the latest valid version of each order (order grain), or the valid
-- transaction lines of the orders file rolled up to their order (line grain; the lines of one
-- order agree on customer and timestamp, base_raw__orders rejects ids where they do not).
-- Row rule R6: a credit note (order id starting with var credit_note_prefix) or an order whose
-- every line has a negative value is a return order, status 'returned'.
with

base as (

    select * from {{ ref('base_raw__orders') }}
    where {{ is_staged_row() }}

),

{% if orders_line_grain() -%}
lines as (

    select
        *,
        coalesce(amount, quantity * unit_price, quantity) as line_value
    from base

),

final as (

    select
        order_id,
        min(customer_id) as customer_id,
        min(order_ts) as order_ts,
        min(channel) as channel,
        case
            when max(case when is_credit_note then 1 else 0 end) = 1 then 'returned'
            when
                max(case when line_value < 0 then 1 else 0 end) = 1
                and max(case when line_value > 0 then 1 else 0 end) = 0
                then 'returned'
            when max(case when status = 'completed' then 1 else 0 end) = 1 then 'completed'
            else min(status)
        end as status,
        max(case when is_credit_note then 1 else 0 end) = 1 as is_credit_note,
        max(original_order_id) as original_order_id,
        max(country_code) as country_code,
        max(gender) as gender,
        max(updated_at) as updated_at,
        max(_raw_row_number) as last_raw_row_number,
        max(dq_flags) as dq_flags
    from lines
    group by order_id

)
{%- else -%}
final as (

    select
        order_id,
        customer_id,
        order_ts,
        channel,
        case when is_credit_note then 'returned' else status end as status,
        is_credit_note,
        original_order_id,
        country_code,
        gender,
        updated_at,
        _raw_row_number as last_raw_row_number,
        dq_flags
    from base

)
{%- endif %}

select * from final
