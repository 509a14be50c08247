{#- True when the orders file is read at line grain (one row per transaction line):
    var orders_grain = 'line', or 'auto' (the default) and no order_lines file exists. -#}
{% macro orders_line_grain() %}
    {%- set grain = var('orders_grain', 'auto') | string | trim | lower -%}
    {%- if grain not in ('auto', 'order', 'line') and execute -%}
        {{ exceptions.raise_compiler_error("var orders_grain must be one of auto, order, line; got: '" ~ grain ~ "'") }}
    {%- endif -%}
    {%- if grain == 'auto' -%}
        {{ return(execute and not has_raw_file('order_lines')) }}
    {%- endif -%}
    {{ return(grain == 'line') }}
{% endmacro %}

{#- ===== Row rules (README "Bring your own data" / "Row rules"; DECISIONLOG "Row rules R1-R10") ===== -#}

{#- R1: what happens to exact duplicate rows (identical in every column of the source file) of the
    orders file at line grain: 'drop' or 'keep'. var exact_duplicate_rows: auto (default) = drop when
    the file has an order id column (a re-sent line), keep when it has none (each row is an order:
    a same-day repeat purchase); drop; keep. -#}
{% macro exact_duplicate_action(has_order_id) %}
    {%- set setting = var('exact_duplicate_rows', 'auto') | string | trim | lower -%}
    {%- if setting not in ('auto', 'drop', 'keep') -%}
        {{ exceptions.raise_compiler_error("var exact_duplicate_rows must be one of auto, drop, keep; got: '" ~ setting ~ "'") }}
    {%- endif -%}
    {%- if setting == 'auto' -%}
        {{ return('drop' if has_order_id else 'keep') }}
    {%- endif -%}
    {{ return(setting) }}
{% endmacro %}

{#- R6: the order-id prefix of a credit note (var credit_note_prefix, default C; empty = off), as a
    SQL condition on the order-id column. -#}
{% macro is_credit_note_id(order_id_column) %}
    {%- set prefix = var('credit_note_prefix', 'C') | string | trim -%}
    {%- if not prefix -%}{{ return('false') }}{%- endif -%}
    {%- if not modules.re.match('^[A-Za-z0-9_-]+$', prefix) -%}
        {{ exceptions.raise_compiler_error("var credit_note_prefix must be letters, digits, '-' or '_' (empty = no credit notes); got: '" ~ prefix ~ "'") }}
    {%- endif -%}
    {{ return("coalesce(substring(" ~ order_id_column ~ ", 1, " ~ prefix | length ~ ") = '" ~ prefix ~ "', false)") }}
{% endmacro %}

{#- A dq_flags list contains a flag (flags are comma-separated codes). -#}
{% macro has_flag(flags_column, flag) -%}
    coalesce((',' || {{ flags_column }} || ',') like '%,{{ flag }},%', false)
{%- endmacro %}

{#- The amount cap: a line amount above max_unit_price x max_quantity is flagged outlier_amount. -#}
{% macro max_line_amount() -%}
    ({{ number_var('max_unit_price') }} * {{ number_var('max_quantity') }})
{%- endmacro %}

{#- Post-hook of the base_raw__* models: one build-log line per table counting what every row rule
    did (kept, flagged, rejected, dropped), so that no rule touches a row without a count in the
    build output. The same figures are in marts.dq_raw_row_accounting. -#}
{% macro log_row_rules(table_name) %}
    {%- if execute -%}
        {%- set sql -%}
            select
                count(*) as raw_rows,
                sum(case when {{ is_staged_row() }} then 1 else 0 end) as kept,
                sum(case when reject_reason is not null then 1 else 0 end) as rejected,
                sum(case when drop_reason = 'duplicate' then 1 else 0 end) as duplicates_dropped,
                sum(case when drop_reason = 'superseded_version' then 1 else 0 end) as superseded,
                {%- for flag in ['exact_duplicate', 'outlier_quantity', 'outlier_unit_price', 'outlier_amount', 'zero_quantity', 'zero_price', 'return', 'credit_note', 'unmatched_original_order'] %}
                sum(case when {{ is_staged_row() }} and {{ has_flag('dq_flags', flag) }} then 1 else 0 end) as flag_{{ flag }},
                {%- endfor %}
                count(distinct case when reject_reason = 'conflicting_order_fields' then order_id end) as conflicting_field_ids,
                count(distinct case when reject_reason = 'conflicting_order_versions' then order_id end) as conflicting_version_ids
            from {{ this }}
        {%- endset -%}
        {%- set row = run_query(sql).rows[0] -%}
        {%- set multi = run_query("select count(*) from (select order_id from " ~ this ~ " where " ~ is_staged_row() ~ " group by order_id having count(*) > 1) as ids").columns[0].values()[0] if table_name == 'orders' and orders_line_grain() else none -%}
        {%- set parts = ["raw " ~ table_name ~ " row rules: " ~ row['raw_rows'] ~ " raw rows, " ~ row['kept'] ~ " kept, " ~ row['rejected'] ~ " rejected, " ~ row['duplicates_dropped'] ~ " exact duplicates dropped, " ~ row['superseded'] ~ " superseded versions"] -%}
        {%- if multi is not none -%}{%- do parts.append(multi ~ " order ids with several lines (line grain: one order)") -%}{%- endif -%}
        {%- do parts.append(row['conflicting_field_ids'] ~ " order ids rejected conflicting_order_fields, " ~ row['conflicting_version_ids'] ~ " rejected conflicting_order_versions") -%}
        {%- set flags = [] -%}
        {%- for flag in ['exact_duplicate', 'outlier_quantity', 'outlier_unit_price', 'outlier_amount', 'zero_quantity', 'zero_price', 'return', 'credit_note', 'unmatched_original_order'] -%}
            {%- do flags.append(flag ~ "=" ~ row['flag_' ~ flag]) -%}
        {%- endfor -%}
        {%- do parts.append("kept rows flagged: " ~ flags | join(', ')) -%}
        {%- do log(parts | join('; '), info=true) -%}
    {%- endif -%}
    select 1
{% endmacro %}
