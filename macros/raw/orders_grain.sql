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
