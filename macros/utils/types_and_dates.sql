{#- Portable names for types and date parts that dbt's cross-database macros do not cover. -#}

{#- 8-byte floating point (dbt.type_float() is a 4-byte FLOAT on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_intelligence')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double{%- endmacro %}

{#- ISO day of week: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(column) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'customer_intelligence')(column)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(column) -%}
    extract(isodow from {{ column }})
{%- endmacro %}

{% macro spark__iso_day_of_week(column) -%}
    extract(dayofweek_iso from {{ column }})
{%- endmacro %}
