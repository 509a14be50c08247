{#- Small, portable cleaning helpers used by the staging models. -#}

{#- Trimmed text, empty string as null. -#}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- Lower-cased trimmed text, used as a lookup key into the reference seeds. -#}
{% macro lookup_key(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}

{#- Safe number parse: null when the value is not a number. -#}
{% macro safe_number(column, type='double') -%}
    {{ try_cast(clean_text(column), type) }}
{%- endmacro %}

{#- A cast that yields null instead of failing (dbt.safe_cast is a plain cast on some adapters). -#}
{% macro try_cast(expression, type) -%}
    {{ return(adapter.dispatch('try_cast', 'customer_intelligence')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, type) -%}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro spark__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- Safe timestamp parse: ISO-8601 first, then var raw_timestamp_formats in order. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'customer_intelligence')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    {{ try_cast(clean_text(column), dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    coalesce(
        try_cast({{ clean_text(column) }} as timestamp),
        try_strptime({{ clean_text(column) }}, [
            {%- for f in var('raw_timestamp_formats') -%}
            '{{ f | replace("'", "") }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        ])
    )
{%- endmacro %}

{#- A literal date from a validated var (YYYY-MM-DD), or a clear error. -#}
{% macro date_literal(value, var_name) -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a date written YYYY-MM-DD, got: '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
    cast('{{ text }}' as date)
{%- endmacro %}

{#- A validated numeric var, or a clear error. -#}
{% macro number_var(var_name) -%}
    {%- set text = var(var_name) | string | trim -%}
    {%- if not modules.re.match('^-?[0-9]+(\.[0-9]+)?$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a number, got: '" ~ text ~ "'") }}
    {%- endif -%}
    cast({{ text }} as {{ type_double() }})
{%- endmacro %}

{#- The last valid order date: var max_order_date, or the run's date. -#}
{% macro max_order_date() -%}
    {%- if var('max_order_date') | string | trim -%}
        {{ date_literal(var('max_order_date'), 'max_order_date') }}
    {%- else -%}
        {{ date_literal(run_started_at.strftime('%Y-%m-%d'), 'max_order_date') }}
    {%- endif -%}
{%- endmacro %}
