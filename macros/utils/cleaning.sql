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

{#- Spark has no try_strptime: try_to_timestamp with each format, converted to a Spark datetime pattern. -#}
{% macro spark__parse_timestamp(column) -%}
    coalesce(
        {#- Spark's cast also takes '2021' or '2021-01'; DuckDB's (and this project's contract) needs a full date -#}
        case
            when {{ clean_text(column) }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$'
                then try_cast({{ clean_text(column) }} as timestamp)
        end,
        {%- for f in var('raw_timestamp_formats') %}
        try_to_timestamp({{ clean_text(column) }}, "{{ strptime_to_spark_pattern(f) }}"){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- A strptime format (%Y-%m-%d %H:%M:%S) as a Spark datetime pattern (yyyy-M-d H:m:s). Numeric
    fields use one pattern letter so that, like strptime, one or two digits parse; letters outside
    a %-code are quoted literals; an unsupported %-code is a clear error. -#}
{% macro strptime_to_spark_pattern(format) -%}
    {%- set codes = {
        'Y': 'yyyy', 'y': 'yy', 'm': 'M', 'd': 'd', 'H': 'H', 'I': 'h', 'M': 'm', 'S': 's',
        'f': 'SSSSSS', 'p': 'a', 'b': 'MMM', 'B': 'MMMM', 'a': 'EEE', 'A': 'EEEE', 'j': 'D', '%': '%',
    } -%}
    {%- set text = format | string | replace("'", "") | replace('"', '') -%}
    {%- set out = [] -%}
    {%- set state = namespace(escape=false) -%}
    {%- for ch in text -%}
        {%- if state.escape -%}
            {%- if ch not in codes -%}
                {{ exceptions.raise_compiler_error("var raw_timestamp_formats: format code %" ~ ch ~ " in '" ~ text ~ "' has no Spark equivalent; use %Y %y %m %d %H %I %M %S %f %p %b %B %a %A %j") }}
            {%- endif -%}
            {%- do out.append(codes[ch]) -%}
            {%- set state.escape = false -%}
        {%- elif ch == '%' -%}
            {%- set state.escape = true -%}
        {%- elif ch.isalpha() -%}
            {%- do out.append("'" ~ ch ~ "'") -%}
        {%- else -%}
            {%- do out.append(ch) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | join('')) }}
{%- endmacro %}

{#- A literal date from a validated var (YYYY-MM-DD), or a clear error. -#}
{% macro date_literal(value, var_name) -%}
    {%- set text = value | string | trim -%}
    {#- checked when run (at parse time the value is not used), after the on-run-start check reported every bad input -#}
    {%- if not is_valid_date(text) -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a date written YYYY-MM-DD, got: '" ~ text ~ "'") }}
        {%- endif -%}
        {%- set text = '1970-01-01' -%}
    {%- endif -%}
    cast('{{ text }}' as date)
{%- endmacro %}

{#- A validated numeric var, or a clear error. -#}
{% macro number_var(var_name) -%}
    {%- set text = var(var_name) | string | trim -%}
    {%- if not modules.re.match('^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$', text) -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a number, got: '" ~ text ~ "'") }}
        {%- endif -%}
        {%- set text = '0' -%}
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

{#- A business key as text: trimmed, empty as null, and a whole number written as a decimal
    ('1001.0', as pandas writes a float id to CSV) as the whole number ('1001'), so keys typed as
    numbers in one file and as text in another still match. -#}
{% macro clean_key(column) -%}
    {{ return(adapter.dispatch('clean_key', 'customer_intelligence')(column)) }}
{%- endmacro %}

{% macro default__clean_key(column) -%}
    regexp_replace({{ clean_text(column) }}, '^(-?[0-9]+)\.0+$', '\1')
{%- endmacro %}

{% macro spark__clean_key(column) -%}
    regexp_replace({{ clean_text(column) }}, '^(-?[0-9]+)\\.0+$', '$1')
{%- endmacro %}
