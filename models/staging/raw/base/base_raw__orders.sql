{{ config(post_hook="{{ log_row_rules('orders') }}") }}
-- One row per raw orders row: typed, normalised, flagged, with a reject reason or a drop reason.
-- At line grain (no order_lines file) each row is a transaction line of an order.
-- Row rules R1-R7 (README "Row rules"): caps, zero values and returns flag a row, never reject it;
-- exact duplicates compare the whole source row (_raw_row_hash); repeated order ids are versions
-- (latest updated_at wins) or, at line grain, the lines of one order, and rows of one id that
-- disagree are rejected with a reason, never merged.
{%- set line_grain = orders_line_grain() -%}
{%- set present = raw_columns_present('orders') -%}
{%- set has_order_id = 'order_id' in present -%}
{%- set has_updated_at = 'updated_at' in present -%}
{%- set has_money = 'amount' in present or 'unit_price' in present -%}
{%- set duplicates = exact_duplicate_action(has_order_id) -%}
{%- set customers_file = execute and has_raw_file('customers') -%}
{#- typed Parquet columns skip text parsing (macros/raw/typed_raw.sql) -#}
{%- set raw_types = raw_column_types('orders') %}

with

{{ raw_import_ctes('orders', ['channels', 'statuses', 'country_codes', 'gender_codes']) }}

known_customers as (

    -- the valid customers (stg_raw__customers' rows), read from the base model so that the
    -- quarantine (stg_raw__rejected_rows) never sits downstream of a failing row gate
    select customer_id from {{ ref('base_raw__customers') }}
    where {{ is_staged_row() }}

),

typed as (

    select
        source._raw_file,
        source._raw_row_number,
        source._raw_row_hash,
        {% if has_order_id -%}
        {{ clean_key('source.order_id') }} as order_id,
        {%- else -%}
        'row-' || {% if raw_layout('orders') == 'folder' %}source._raw_file || '-' || {% endif %}cast(source._raw_row_number + 1 as {{ dbt.type_string() }}) as order_id,
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
        {{ typed_number('source.amount', 'double', raw_types.get('amount')) }} as amount,
        {{ clean_key('source.original_order_id') }} as original_order_id,
        {{ clean_text('source.country') }} as country_raw,
        country_codes.country_code,
        {{ clean_text('source.gender') }} as gender_raw,
        gender_codes.gender
    from source
    {{- raw_lookup_joins(['channels', 'statuses', 'country_codes', 'gender_codes']) }}

),

checked as (

    select
        typed.*,
        {{ is_credit_note_id('typed.order_id') }} as is_credit_note,
        case
            when typed.status_raw is null then 'completed'
            else coalesce(typed.status_mapped, 'unknown')
        end as status,
        case
            when typed.order_id is null then 'null_key'
            when typed.customer_id is null then 'null_customer_id'
            when typed.order_ts is null then 'invalid_order_date'
            when cast(typed.order_ts as date) > {{ max_order_date() }} then 'future_order_date'
            when typed.order_ts < {{ date_literal(var('min_order_date'), 'min_order_date') }} then 'order_date_too_old'
            {%- if line_grain %}
            when typed.quantity_raw is not null and typed.quantity is null then 'invalid_quantity'
            when typed.unit_price_raw is not null and typed.unit_price is null then 'invalid_price'
            when typed.amount_raw is not null and typed.amount is null then 'invalid_amount'
            {%- if has_money %}
            when typed.amount is null and (typed.quantity is null or typed.unit_price is null) then 'invalid_amount'
            {%- endif %}
            when typed.discount_amount < 0 then 'invalid_discount'
            {%- endif %}
            {%- if customers_file %}
            when known_customers.customer_id is null then 'unknown_customer'
            {%- endif %}
        end as row_reject_reason
    from typed
    left join known_customers
        on typed.customer_id = known_customers.customer_id

),

copies as (

    -- R1: the n-th copy of an identical source row (every file column compared)
    select
        *,
        case
            when row_reject_reason is null
                then row_number() over (
                        partition by _raw_row_hash
                        order by {{ raw_row_order('desc' if not line_grain else '') }}
                    )
        end as copy_number
    from checked

),

versions as (

    select
        *,
        row_reject_reason is null and copy_number = 1 as is_candidate,
        {%- if line_grain %}
        -- R7 line grain: the rows of an order id are its lines; when they carry different
        -- updated_at values, only the rows with the latest one are the order
        {%- if has_updated_at %}
        coalesce(updated_at, cast('1900-01-01' as {{ dbt.type_timestamp() }})) < max(
            case when row_reject_reason is null then coalesce(updated_at, cast('1900-01-01' as {{ dbt.type_timestamp() }})) end
        ) over (partition by order_id) as is_superseded
        {%- else %}
        false as is_superseded
        {%- endif %}
        {%- else %}
        -- R7 order grain: one row per order id; the latest updated_at wins (ties: the later row)
        case
            when row_reject_reason is null and copy_number = 1
                then row_number() over (
                        partition by order_id, case when row_reject_reason is null and copy_number = 1 then 1 else 0 end
                        order by updated_at desc nulls last, {{ raw_row_order('desc') }}
                    )
        end > 1 as is_superseded
        {%- endif %}
    from copies

),

conflicts as (

    select
        *,
        {%- if line_grain %}
        -- rows of one id (within the winning version) that disagree on the customer or the order timestamp
        (
            min(case when is_candidate and not is_superseded then customer_id end) over (partition by order_id)
            <> max(case when is_candidate and not is_superseded then customer_id end) over (partition by order_id)
            or min(case when is_candidate and not is_superseded then order_ts end) over (partition by order_id)
            <> max(case when is_candidate and not is_superseded then order_ts end) over (partition by order_id)
        ) as has_conflict,
        'conflicting_order_fields' as conflict_reason
        {%- elif has_updated_at %}
        false as has_conflict,
        'conflicting_order_versions' as conflict_reason
        {%- else %}
        -- no updated_at: rows of one id that differ cannot be told apart as versions
        min(case when is_candidate then _raw_row_hash end) over (partition by order_id)
        <> max(case when is_candidate then _raw_row_hash end) over (partition by order_id) as has_conflict,
        'conflicting_order_versions' as conflict_reason
        {%- endif %}
    from versions

),

resolved as (

    select
        *,
        case
            when row_reject_reason is not null then row_reject_reason
            when coalesce(has_conflict, false) then conflict_reason
        end as reject_reason,
        case
            when row_reject_reason is not null or coalesce(has_conflict, false) then null
            {%- if line_grain and duplicates == 'keep' %}
            when is_superseded then 'superseded_version'
            {%- else %}
            when copy_number > 1 then 'duplicate'
            when is_superseded then 'superseded_version'
            {%- endif %}
        end as drop_reason
    from conflicts

),

{% if 'original_order_id' in present -%}
original_orders as (

    -- R6: the staged orders a credit's original_order_id can refer to (same customer, another order)
    select distinct order_id, customer_id
    from resolved
    where reject_reason is null and drop_reason is null

),

referenced as (

    select
        resolved.*,
        resolved.original_order_id is not null and original_orders.order_id is null as is_unmatched_original
    from resolved
    left join original_orders
        on
            resolved.original_order_id = original_orders.order_id
            and resolved.customer_id = original_orders.customer_id
            and resolved.order_id <> original_orders.order_id

),
{% else -%}
referenced as (

    -- no original_order_id column: nothing to match (R6)
    select
        *,
        false as is_unmatched_original
    from resolved

),
{% endif %}

flagged as (

    select
        *,
        concat_ws(
            ',',
            case when channel_raw is not null and channel = 'unknown' then 'unmapped_channel' end,
            case when status_raw is not null and status_mapped is null then 'unmapped_status' end,
            case when country_raw is not null and country_code is null then 'unmapped_country' end,
            case when gender_raw is not null and gender is null then 'unmapped_gender' end,
            case when is_unmatched_original then 'unmatched_original_order' end
            {%- if line_grain %},
            case when copy_number > 1 then 'exact_duplicate' end,
            case when abs(quantity) > {{ number_var('max_quantity') }} then 'outlier_quantity' end,
            case when abs(unit_price) > {{ number_var('max_unit_price') }} then 'outlier_unit_price' end,
            case when abs(amount) > {{ max_line_amount() }} then 'outlier_amount' end,
            case when quantity = 0 then 'zero_quantity' end,
            case when unit_price = 0 or (unit_price is null and amount = 0) then 'zero_price' end,
            case when quantity < 0 or unit_price < 0 or amount < 0 then 'return' end,
            case when is_credit_note then 'credit_note' end
            {%- endif %}
        ) as dq_flags_all
    from referenced

)

select
    _raw_file,
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
    original_order_id,
    coalesce(country_code, case when country_raw is not null then 'ZZ' end) as country_code,
    coalesce(gender, case when gender_raw is not null then 'Unknown' end) as gender,
    is_credit_note,
    nullif(dq_flags_all, '') as dq_flags,
    reject_reason,
    drop_reason,
    case
        when reject_reason is not null then null
        when drop_reason is not null then 2
        else 1
    end as dedup_rank
from flagged
