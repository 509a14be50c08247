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

{#- `cast(<column> as <type>) as <column>` for each of `columns`, the type being the column's data_type in
    the model's yml (its contract): each output type is written once, in the yml. One cast per line,
    indented for a select list in a CTE. Parsing renders placeholders (the yml is not read yet). A unit
    test renders the model with the unit test as `model`, which has no column types: there the columns
    are left as they are (dbt casts a unit test's expected rows to the types of the model's output). -#}
{% macro typed_columns(columns) -%}
    {%- set is_unit_test = model.resource_type == 'unit_test' -%}
    {%- set casts = [] -%}
    {%- for column in columns -%}
        {%- set data_type = (model.columns.get(column) or {}).get('data_type') -%}
        {%- if is_unit_test -%}
            {%- do casts.append(column) -%}
        {%- elif execute and not data_type -%}
            {{ exceptions.raise_compiler_error("typed_columns: column " ~ column ~ " of " ~ model.name
                                               ~ " has no data_type in its yml") }}
        {%- else -%}
            {%- do casts.append('cast(' ~ column ~ ' as ' ~ engine_type_name(data_type or 'varchar') ~ ') as ' ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(casts | join(',\n        ')) }}
{%- endmacro %}
