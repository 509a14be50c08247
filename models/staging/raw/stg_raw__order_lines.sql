-- depends_on: {{ ref('base_raw__orders') }}
-- One row per order line: valid lines of the order_lines file (order grain), or the valid
-- rows of the orders file (line grain). A negative quantity or amount is a return line (R6);
-- zero quantity / price lines are kept with zero value (R5); without amounts (R8) the price is null.
{%- set line_grain = orders_line_grain() %}
with

base as (

    select * from {{ ref('base_raw__orders') if line_grain else ref('base_raw__order_lines') }}
    where {{ is_staged_row() }}

),

{% if line_grain -%}
lines as (

    select
        order_id,
        row_number() over (partition by order_id order by {{ raw_row_order() }}) as line_number,
        product_id,
        coalesce(quantity, case when amount < 0 then -1 else 1 end) as quantity,
        unit_price,
        amount,
        coalesce(discount_amount, 0) as discount_amount,
        dq_flags
    from base

),

final as (

    select
        order_id,
        cast(line_number as {{ dbt.type_bigint() }}) as line_number,
        product_id,
        quantity,
        case
            when unit_price is not null then unit_price
            when quantity = 0 then 0
            else abs(amount) / abs(quantity)
        end as unit_price,
        discount_amount,
        dq_flags
    from lines

)
{%- else -%}
final as (

    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        dq_flags
    from base

)
{%- endif %}

select * from final
