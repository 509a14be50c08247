{{ config(post_hook="{{ log_row_rules('order_lines') }}") }}
-- One row per raw order_lines row: typed, flagged, with a reject reason or a dedup rank.
-- Row rules R4-R6: caps flag outliers, zero quantity / price lines are kept with zero value, a
-- negative quantity is a return line; only unreadable values are rejected.
-- Empty when there is no order_lines file (the orders file is then read at line grain).
{#- typed Parquet columns skip text parsing (macros/raw/typed_raw.sql) -#}
{%- set raw_types = raw_column_types('order_lines') %}
with

{{ raw_import_ctes('order_lines') }}

valid_orders as (

    -- the orders of stg_raw__orders, read from the base model so that the quarantine
    -- (stg_raw__rejected_rows) never sits downstream of a failing row gate
    select distinct order_id from {{ ref('base_raw__orders') }}
    where {{ is_staged_row() }}

),

typed as (

    select
        source._raw_file,
        source._raw_row_number,
        {{ clean_key('source.order_id') }} as order_id,
        {{ typed_raw_text('source.line_number', raw_types.get('line_number')) }} as line_number_raw,
        {{ typed_number('source.line_number', dbt.type_bigint(), raw_types.get('line_number')) }} as line_number,
        {{ clean_key('source.product_id') }} as product_id,
        {{ typed_raw_text('source.quantity', raw_types.get('quantity')) }} as quantity_raw,
        {{ typed_number('source.quantity', 'double', raw_types.get('quantity')) }} as quantity,
        {{ typed_raw_text('source.unit_price', raw_types.get('unit_price')) }} as unit_price_raw,
        {{ typed_number('source.unit_price', 'double', raw_types.get('unit_price')) }} as unit_price,
        {{ typed_raw_text('source.discount_amount', raw_types.get('discount_amount')) }} as discount_amount_raw,
        coalesce({{ typed_number('source.discount_amount', 'double', raw_types.get('discount_amount')) }}, 0) as discount_amount
    from source

),

checked as (

    select
        typed.*,
        case
            when typed.order_id is null then 'null_key'
            when typed.line_number_raw is not null and typed.line_number is null then 'invalid_line_number'
            when typed.quantity is null then 'invalid_quantity'
            when typed.unit_price is null then 'invalid_price'
            when typed.discount_amount_raw is not null and {{ typed_number('typed.discount_amount_raw', 'double', raw_types.get('discount_amount')) }} is null
                then 'invalid_discount'
            when typed.discount_amount < 0 or typed.discount_amount > abs(typed.quantity * typed.unit_price)
                then 'invalid_discount'
            when valid_orders.order_id is null then 'unknown_order'
        end as reject_reason,
        nullif(concat_ws(
            ',',
            case when abs(typed.quantity) > {{ number_var('max_quantity') }} then 'outlier_quantity' end,
            case when abs(typed.unit_price) > {{ number_var('max_unit_price') }} then 'outlier_unit_price' end,
            case when abs(typed.quantity * typed.unit_price) > {{ max_line_amount() }} then 'outlier_amount' end,
            case when typed.quantity = 0 then 'zero_quantity' end,
            case when typed.unit_price = 0 then 'zero_price' end,
            case when typed.quantity < 0 or typed.unit_price < 0 then 'return' end
        ), '') as dq_flags
    from typed
    left join valid_orders
        on typed.order_id = valid_orders.order_id

),

numbered as (

    select
        *,
        coalesce(
            line_number,
            row_number() over (partition by order_id order by {{ raw_row_order() }})
        ) as line_number_final
    from checked

),

ranked as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (
                        partition by order_id, line_number_final
                        order by {{ raw_row_order('desc') }}
                    )
        end as dedup_rank
    from numbered

)

select
    _raw_file,
    _raw_row_number,
    order_id,
    cast(line_number_final as {{ dbt.type_bigint() }}) as line_number,
    order_id || '-' || cast(line_number_final as {{ dbt.type_string() }}) as record_key,
    product_id,
    quantity,
    unit_price,
    discount_amount,
    dq_flags,
    reject_reason,
    case when dedup_rank > 1 then 'duplicate' end as drop_reason,
    dedup_rank
from ranked
