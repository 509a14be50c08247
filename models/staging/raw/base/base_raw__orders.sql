-- depends_on: {{ ref('stg_raw__customers') }}
-- One row per raw orders row: typed, normalised, with a reject reason or a dedup rank.
-- At line grain (no order_lines file) each row is a transaction line of an order.
{%- set line_grain = orders_line_grain() -%}
{%- set present = raw_columns_present('orders') -%}
{%- set has_order_id = 'order_id' in present -%}
{%- set has_customers = execute and has_raw_file('customers') -%}
{#- typed Parquet columns skip text parsing (macros/raw/typed_raw.sql) -#}
{%- set raw_types = raw_column_types('orders') -%}
{%- if execute and line_grain and 'amount' not in present and not ('quantity' in present and 'unit_price' in present) -%}
    {{ exceptions.raise_compiler_error("Raw orders file has no order_lines file beside it, so it is read at line grain and needs an 'amount' column or both 'quantity' and 'unit_price'. Columns of the contract found: " ~ present | join(', ')) }}
{%- endif %}

with

source as (

    {{ read_raw('orders') }}

),

channels as (

    select alias, channel from {{ ref('channels') }}

),

statuses as (

    select alias, status from {{ ref('order_statuses') }}

),

known_customers as (

    select customer_id from {{ ref('stg_raw__customers') }}

),

typed as (

    select
        source._raw_row_number,
        {% if has_order_id -%}
        {{ clean_key('source.order_id') }} as order_id,
        {%- else -%}
        'row-' || cast(source._raw_row_number + 1 as {{ dbt.type_string() }}) as order_id,
        {%- endif %}
        {{ clean_key('source.customer_id') }} as customer_id,
        {{ typed_raw_text('source.order_ts', raw_types.get('order_ts')) }} as order_ts_raw,
        {{ typed_timestamp('source.order_ts', raw_types.get('order_ts')) }} as order_ts,
        {{ clean_text('source.channel') }} as channel_raw,
        coalesce(channels.channel, 'unknown') as channel,
        {{ clean_text('source.status') }} as status_raw,
        statuses.status as status_mapped,
        {{ typed_timestamp('source.updated_at', raw_types.get('updated_at')) }} as updated_at,
        {{ clean_key('source.product_id') }} as product_id,
        {{ typed_raw_text('source.quantity', raw_types.get('quantity')) }} as quantity_raw,
        {{ typed_number('source.quantity', 'double', raw_types.get('quantity')) }} as quantity,
        {{ typed_raw_text('source.unit_price', raw_types.get('unit_price')) }} as unit_price_raw,
        {{ typed_number('source.unit_price', 'double', raw_types.get('unit_price')) }} as unit_price,
        {{ typed_number('source.discount_amount', 'double', raw_types.get('discount_amount')) }} as discount_amount,
        {{ typed_raw_text('source.amount', raw_types.get('amount')) }} as amount_raw,
        {{ typed_number('source.amount', 'double', raw_types.get('amount')) }} as amount
    from source
    left join channels
        on {{ lookup_key('source.channel') }} = channels.alias
    left join statuses
        on {{ lookup_key('source.status') }} = statuses.alias

),

checked as (

    select
        typed.*,
        case
            when typed.status_raw is null then 'completed'
            else coalesce(typed.status_mapped, 'unknown')
        end as status,
        concat_ws(
            ',',
            case when typed.channel_raw is not null and typed.channel = 'unknown' then 'unmapped_channel' end,
            case when typed.status_raw is not null and typed.status_mapped is null then 'unmapped_status' end
        ) as dq_flags,
        case
            when typed.order_id is null then 'null_key'
            when typed.customer_id is null then 'null_customer_id'
            when typed.order_ts is null then 'invalid_order_date'
            when cast(typed.order_ts as date) > {{ max_order_date() }} then 'future_order_date'
            when typed.order_ts < {{ date_literal(var('min_order_date'), 'min_order_date') }} then 'order_date_too_old'
            {%- if line_grain %}
            when typed.quantity_raw is not null and typed.quantity is null then 'invalid_quantity'
            when typed.quantity = 0 or abs(typed.quantity) > {{ number_var('max_quantity') }} then 'invalid_quantity'
            when typed.unit_price_raw is not null and typed.unit_price is null then 'invalid_price'
            when typed.unit_price <= 0 or typed.unit_price > {{ number_var('max_unit_price') }} then 'invalid_price'
            when typed.amount_raw is not null and typed.amount is null then 'invalid_amount'
            when typed.amount is null and (typed.quantity is null or typed.unit_price is null) then 'invalid_amount'
            when abs(typed.amount) > {{ number_var('max_unit_price') }} * {{ number_var('max_quantity') }} then 'invalid_amount'
            when typed.discount_amount < 0 then 'invalid_discount'
            {%- endif %}
            {%- if has_customers %}
            when known_customers.customer_id is null then 'unknown_customer'
            {%- endif %}
        end as reject_reason
    from typed
    left join known_customers
        on typed.customer_id = known_customers.customer_id

),

ranked as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (
                        {%- if line_grain %}
                    partition by
                        {% if has_order_id %}order_id, {% endif -%}
                        customer_id, order_ts_raw, channel_raw, status_raw, product_id,
                        quantity_raw, unit_price_raw, discount_amount, amount_raw
                    order by _raw_row_number
                    {%- else %}
                        partition by order_id
                        order by updated_at desc nulls last, _raw_row_number desc
                        {%- endif %}
                    )
        end as dedup_rank
    from checked

)

select
    _raw_row_number,
    order_id,
    order_id as record_key,
    customer_id,
    order_ts,
    channel,
    status,
    updated_at,
    product_id,
    quantity,
    unit_price,
    discount_amount,
    amount,
    nullif(dq_flags, '') as dq_flags,
    reject_reason,
    dedup_rank
from ranked
