-- One row per order: the latest valid version of each order (order grain), or the valid
-- transaction lines of the orders file rolled up to their order (line grain).
with

base as (

    select * from {{ ref('base_raw__orders') }}
    where reject_reason is null and dedup_rank = 1

),

{% if orders_line_grain() -%}
final as (

    select
        order_id,
        min(customer_id) as customer_id,
        min(order_ts) as order_ts,
        min(channel) as channel,
        case
            when max(case when coalesce(quantity, amount) >= 0 then 1 else 0 end) = 0 then 'cancelled'
            when max(case when status = 'completed' then 1 else 0 end) = 1 then 'completed'
            else min(status)
        end as status,
        max(updated_at) as updated_at,
        max(dq_flags) as dq_flags
    from base
    group by order_id

)
{%- else -%}
final as (

    select
        order_id,
        customer_id,
        order_ts,
        channel,
        status,
        updated_at,
        dq_flags
    from base

)
{%- endif %}

select * from final
