{{ config(**order_facts_config()) }}
-- One row per order line, with its order's customer, date and status.
-- Amounts: gross = quantity x unit price (negative on a return line); net = gross - discount.
-- Revenue counts completed orders and return orders (fct_orders: gross_revenue, discounts, returns, net_revenue).
-- A table by default. Incremental (var order_facts_materialization: incremental): a run writes
-- every line of the orders whose lines differ from the loaded ones and
-- deletes the lines of orders gone from the raw files; see the incremental_order_facts docs block.
with

lines as (

    select * from {{ ref('stg_raw__order_lines') }}

),

orders as (

    select * from {{ ref('stg_raw__orders') }}

),

products as (

    select product_id from {{ ref('dim_products') }}
    where not is_unknown_member

),

final as (

    select
        cast(lines.order_id || '-' || cast(lines.line_number as {{ dbt.type_string() }}) as {{ dbt.type_string() }})
            as order_line_id,
        cast(lines.order_id as {{ dbt.type_string() }}) as order_id,
        cast(lines.line_number as {{ dbt.type_bigint() }}) as line_number,
        cast(orders.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(coalesce(products.product_id, 'unknown') as {{ dbt.type_string() }}) as product_id,
        cast(orders.order_ts as date) as order_date,
        cast(lines.quantity as {{ type_double() }}) as quantity,
        cast(lines.unit_price as {{ type_double() }}) as unit_price,
        cast(round(lines.quantity * lines.unit_price, 2) as {{ type_double() }}) as gross_amount,
        cast(round(lines.discount_amount, 2) as {{ type_double() }}) as discount_amount,
        cast(round(lines.quantity * lines.unit_price - lines.discount_amount, 2) as {{ type_double() }})
            as net_amount,
        orders.status = 'completed' as is_completed,
        -- row rules R4 / R6: a line of negative value, or of a credit note, is a return line;
        -- a line over a cap (max_quantity, max_unit_price, their product) is an outlier, kept
        coalesce(lines.quantity * lines.unit_price < 0 or orders.is_credit_note, false) as is_return,
        (
            {{ has_flag('lines.dq_flags', 'outlier_quantity') }}
            or {{ has_flag('lines.dq_flags', 'outlier_unit_price') }}
            or {{ has_flag('lines.dq_flags', 'outlier_amount') }}
        ) as is_outlier,
        cast(lines.dq_flags as {{ dbt.type_string() }}) as dq_flags,
        cast({{ order_source_updated_at('orders.updated_at', 'orders.order_ts') }} as {{ dbt.type_timestamp() }})
            as source_updated_at
    from lines
    inner join orders
        on lines.order_id = orders.order_id
    left join products
        on lines.product_id = products.product_id

)

select * from final
{%- if is_incremental() %}
where order_id in ({{ changed_order_ids('final') }})
{%- endif %}
