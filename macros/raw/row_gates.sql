{#- Row gates (row rule R10): the explanation a failing or warning rejected-share gate prints
    (tests/generic/rejected_share_at_most.sql). -#}

{#- The setting that would change the outcome of a reject reason (row rule R10). -#}
{% macro reject_reason_setting(reason) %}
    {%- set settings = {
        'null_key': "the key column is empty: map the right column with var raw_column_map",
        'null_customer_id': "the customer column is empty: map the right column with var raw_column_map",
        'invalid_order_date': "the date is not ISO-8601: add its format to var raw_timestamp_formats (e.g. '%Y%m%d', '%d/%m/%Y')",
        'future_order_date': "var max_order_date (default: the run date)",
        'order_date_too_old': "var min_order_date (now " ~ var('min_order_date') ~ ")",
        'invalid_quantity': "the quantity is not a number: fix the column or map another with var raw_column_map",
        'invalid_price': "the unit price is not a number: fix the column or map another with var raw_column_map",
        'invalid_amount': "the amount is missing or not a number: map the amount (or quantity and unit_price) with var raw_column_map",
        'invalid_discount': "the discount is negative, above the line value or not a number",
        'invalid_line_number': "the line number is not a whole number",
        'unknown_customer': "the customer is not in the customers file: add it, or leave the customers file out",
        'unknown_order': "the line's order is not a valid order (see the orders rejections)",
        'conflicting_order_fields': "rows of one order id disagree on customer or timestamp: supply updated_at, or var orders_grain",
        'conflicting_order_versions': "rows of one order id differ and there is no updated_at to say which is the latest: add an updated_at column",
    } -%}
    {{ return(settings.get(reason, 'see README "Bad data"')) }}
{% endmacro %}

{#- The raw rows of a table as SQL, without ref() (for tests): its file, or its landed table next to raw_model. -#}
{% macro raw_source_rows_sql(table_name, raw_model) %}
    {%- if raw_layout(table_name) == 'folder' -%}
        {{ return("select * from " ~ raw_model.incorporate(path={'identifier': raw_model.identifier ~ '_landed'})) }}
    {%- endif -%}
    {{ return(read_raw(table_name)) }}
{% endmacro %}

{#- Print why a row gate is over its threshold: top reasons, counts, three raw rows each, the setting. -#}
{% macro rejected_share_explain(raw_model, threshold_var, min_rows) %}
    {%- set threshold = var(threshold_var) | string | trim -%}
    {%- set totals = run_query("select count(*), sum(case when reject_reason is not null then 1 else 0 end) from " ~ raw_model).rows[0] -%}
    {%- set raw_rows = totals[0] | int -%}
    {%- set rejected = (totals[1] or 0) | int -%}
    {%- if raw_rows < min_rows or raw_rows == 0 or (1.0 * rejected / raw_rows) <= (threshold | float) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set table_name = raw_model.identifier | replace('base_raw__', '') -%}
    {%- set level = 'ERROR' if threshold_var == 'rejected_share_error' else 'WARNING' -%}
    {%- set lines = [level ~ ": raw " ~ table_name ~ ": " ~ rejected ~ " of " ~ raw_rows ~ " rows rejected ("
        ~ "%.1f" | format(100.0 * rejected / raw_rows) ~ " %), above var " ~ threshold_var ~ " = " ~ threshold
        ~ ("; the marts are not rebuilt" if level == 'ERROR' else '') ~ ". Top reasons:"] -%}
    {%- set reasons = run_query("select reject_reason, count(*) as n from " ~ raw_model ~ " where reject_reason is not null group by reject_reason order by n desc, reject_reason limit 5") -%}
    {%- for reason in reasons.rows -%}
        {%- do lines.append("  " ~ reason[0] ~ ": " ~ reason[1] ~ " rows; to change: " ~ reject_reason_setting(reason[0])) -%}
        {%- set examples = run_query("select src.* from (" ~ raw_source_rows_sql(table_name, raw_model) ~ ") as src inner join (select _raw_file, _raw_row_number from " ~ raw_model ~ " where reject_reason = '" ~ reason[0] ~ "' order by " ~ raw_row_order() ~ " limit 3) as picked on src._raw_file = picked._raw_file and src._raw_row_number = picked._raw_row_number order by src._raw_file, src._raw_row_number") -%}
        {%- for example in examples.rows -%}
            {%- set values = [] -%}
            {%- for name in examples.column_names -%}
                {%- if name not in ('_raw_row_hash', '_raw_file') and (name == '_raw_row_number' or example[name] is not none) -%}
                    {%- do values.append((('row' if name == '_raw_row_number' else name)) ~ "=" ~ ((example[name] | string)[:60])) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do lines.append("    e.g. " ~ values | join(', ')) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do lines.append("  All rejected rows: staging.stg_raw__rejected_rows; to accept this share raise var " ~ threshold_var ~ ".") -%}
    {%- do log(lines | join('\n'), info=true) -%}
{% endmacro %}
