{#- Performance: skip text parsing of raw columns that are already typed (Parquet).

    The base models parse every raw value from text (trim, then try_cast / try_strptime over many
    formats), which is right for CSV and for text columns but costs a number-to-text-to-number round
    trip on every row of a typed Parquet column. raw_column_types(table) says which type each contract
    column has as the loader delivers it; typed_timestamp, typed_number and
    typed_raw_text then cast typed columns directly and fall back to the text parsers otherwise.
    The results are identical: only types whose text round trip is lossless take the direct path. -#}

{#- Type (upper case, e.g. TIMESTAMP, BIGINT, VARCHAR) of each contract column as read_raw(table)
    delivers it (described, not read: Parquet keeps its types, CSV is all text); empty when not executing. -#}
{% macro raw_column_types(table_name) %}
    {#- the folder layout lands every column as text (read_raw) -#}
    {%- if not execute or raw_layout(table_name) == 'folder' -%}{{ return({}) }}{%- endif -%}
    {%- set described = run_query(describe_query_sql('select * from (' ~ read_raw(table_name) ~ ') as raw_source')) -%}
    {%- set types = {} -%}
    {%- for row in described.rows -%}
        {%- do types.update({row[0]: raw_type_name(row[1])}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{#- Raw types whose direct cast equals the text round trip, by target. -#}
{% macro raw_direct_cast_types(target) %}
    {%- set integers = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'] -%}
    {%- if target == 'timestamp' -%}
        {{ return(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'DATE']) }}
    {%- elif target == 'double' -%}
        {{ return(integers + ['DOUBLE']) }}
    {%- elif target == 'bigint' -%}
        {{ return(integers) }}
    {%- endif -%}
    {{ return([]) }}
{% endmacro %}

{#- parse_timestamp(column), or a direct cast when the raw column is already a timestamp or date. An
    offset-aware column (Parquet TIMESTAMPTZ, an instant) is converted to var reporting_time_zone, the
    same rule as a CSV timestamp with an offset (parse_timestamp); a naive one is taken as it is. -#}
{% macro typed_timestamp(column, raw_type=none) -%}
    {%- if raw_type == 'TIMESTAMP WITH TIME ZONE' -%}
        {{ to_reporting_time(column) }}
    {%- elif raw_type in raw_direct_cast_types('timestamp') -%}
        cast({{ column }} as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ parse_timestamp(column) }}
    {%- endif -%}
{%- endmacro %}

{#- safe_number(column, type), or a direct cast when the raw column already has a compatible type. -#}
{% macro typed_number(column, type='double', raw_type=none) -%}
    {%- set target = 'bigint' if type | lower in ('bigint', dbt.type_bigint() | lower) else 'double' -%}
    {%- if raw_type in raw_direct_cast_types(target) -%}
        cast({{ column }} as {{ type }})
    {%- else -%}
        {{ safe_number(column, type) }}
    {%- endif -%}
{%- endmacro %}

{#- clean_text(column) for text columns; a typed column as is (the base models only test these
    "raw" values for null and compare them for equality, which a typed value does the same). -#}
{% macro typed_raw_text(column, raw_type=none) -%}
    {%- if raw_type is not none and raw_type not in ('VARCHAR', 'BLOB') -%}
        {{ column }}
    {%- else -%}
        {{ clean_text(column) }}
    {%- endif -%}
{%- endmacro %}
