{#- The final select of a mart: every column of `relation` cast to its contract type, in order.
    columns: {column: 'string' | 'bigint' | 'double' | 'date'} (a dict keeps its order). -#}
{% macro typed_select(columns, relation) -%}
    {%- set types = {'string': dbt.type_string(), 'bigint': dbt.type_bigint(), 'double': type_double(), 'date': 'date'} -%}
    select
        {%- for column, type in columns.items() %}
        cast({{ column }} as {{ types[type] }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}
