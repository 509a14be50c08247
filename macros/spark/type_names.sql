{#- Type names on Spark. This project writes DuckDB's type names in yml (contract data_type values,
    seed column_types: varchar, bigint, double, date, timestamp, boolean). Spark accepts all of them
    but varchar, which it wants with a length; its text type is string. These overrides translate
    the names where dbt-spark passes yml types to Spark, so no yml needs a per-engine copy. -#}

{#- The engine's name for a type written in yml. -#}
{% macro engine_type_name(data_type) %}
    {{ return(adapter.dispatch('engine_type_name', 'customer_intelligence')(data_type)) }}
{% endmacro %}

{% macro default__engine_type_name(data_type) %}
    {{ return(data_type) }}
{% endmacro %}

{% macro spark__engine_type_name(data_type) %}
    {%- if data_type is not string -%}{{ return(data_type) }}{%- endif -%}
    {%- set spark_names = {'varchar': 'string', 'text': 'string'} -%}
    {{ return(spark_names.get(data_type | trim | lower, data_type)) }}
{% endmacro %}

{#- Contracts: dbt checks one by casting null to each yml data_type and comparing the result with
    the model's columns. This is dbt's default__get_empty_schema_sql with the names translated. -#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set col_err = [] -%}
    select
    {% for i in columns %}
      {%- set col = columns[i] -%}
      {%- if col['data_type'] is not defined -%}
        {%- do col_err.append(col['name']) -%}
      {%- endif -%}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      cast(null as {{ engine_type_name(col['data_type']) }}) as {{ col_name }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- if (col_err | length) > 0 -%}
      {{ exceptions.column_type_missing(column_names=col_err) }}
    {%- endif -%}
{% endmacro %}

{#- Seeds: dbt-spark writes a seed's column_types into `create table` and into the casts of its
    inserts. Translate them in place, then run dbt-spark's own macros. -#}
{% macro translate_seed_column_types(model) %}
    {%- set column_types = model['config'].get('column_types') or {} -%}
    {%- for column_name, data_type in column_types.items() -%}
        {%- do column_types.update({column_name: engine_type_name(data_type)}) -%}
    {%- endfor -%}
{% endmacro %}

{% macro spark__create_csv_table(model, agate_table) %}
    {%- do translate_seed_column_types(model) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{% endmacro %}

{#- dbt-spark's own spark__load_csv_rows formats its bindings into the SQL unescaped when
    method is session, so a seed value with an apostrophe (Can't Lose Them) breaks the insert.
    This version writes each value as an escaped literal instead. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- do translate_seed_column_types(model) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {{- ',' if not loop.last -}}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
