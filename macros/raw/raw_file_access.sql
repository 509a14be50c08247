{#- How each engine lists, describes and reads the raw files (used by read_raw.sql).
    default__ is DuckDB (glob, read_parquet, read_csv); spark__ is Apache Spark SQL, which reads the
    same files in place through its file data sources (parquet.`path`, csv.`path`, binaryFile.`dir`).
    Every macro returns SQL text; none runs a query itself. -#}

{#- A query with one column, file: the raw files named <table_name>.* in dir, sorted. -#}
{% macro raw_file_listing_sql(dir, table_name) %}
    {{ return(adapter.dispatch('raw_file_listing_sql', 'customer_intelligence')(dir, table_name)) }}
{% endmacro %}

{% macro default__raw_file_listing_sql(dir, table_name) %}
    {{ return("select file from glob('" ~ dir ~ "/" ~ table_name ~ ".*') order by file") }}
{% endmacro %}

{#- Spark SQL has no glob(): the binaryFile source lists the folder (its content column is never
    read because it is not selected); the file name must start with '<table_name>.'. -#}
{% macro spark__raw_file_listing_sql(dir, table_name) %}
    {{ return(
        "select path as file from binaryFile.`" ~ dir ~ "`"
        ~ " where startswith(substring_index(path, '/', -1), '" ~ table_name ~ ".') order by path"
    ) }}
{% endmacro %}

{#- A table expression reading one raw file: Parquet typed, CSV as text with a header row. -#}
{% macro raw_reader(file) %}
    {{ return(adapter.dispatch('raw_reader', 'customer_intelligence')(file)) }}
{% endmacro %}

{% macro default__raw_reader(file) %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("read_parquet('" ~ file ~ "', file_row_number = true)") }}
    {%- else -%}
        {{ return("read_csv('" ~ file ~ "', header = true, all_varchar = true, auto_detect = true, strict_mode = false, max_line_size = 10000000)") }}
    {%- endif -%}
{% endmacro %}

{#- Spark reads CSV columns as text by default (no inferSchema), like DuckDB's all_varchar. -#}
{% macro spark__raw_reader(file) %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("parquet.`" ~ file ~ "`") }}
    {%- else -%}
        {{ return("csv.`" ~ file ~ "` with ('header' = 'true', 'multiLine' = 'true', 'escape' = '\"')") }}
    {%- endif -%}
{% endmacro %}

{#- The 0-based position of each row in the raw file, as an expression over raw_reader(file). -#}
{% macro raw_row_number(file) %}
    {{ return(adapter.dispatch('raw_row_number', 'customer_intelligence')(file)) }}
{% endmacro %}

{% macro default__raw_row_number(file) %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return('file_row_number') }}
    {%- else -%}
        {{ return('row_number() over () - 1') }}
    {%- endif -%}
{% endmacro %}

{#- Parquet: the row index Spark exposes in the hidden _metadata column. CSV: Spark splits a file
    into partitions in file order and monotonically_increasing_id() grows with the partition and the
    row within it, so ordering by it is the file order. -#}
{% macro spark__raw_row_number(file) %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return('_metadata.row_index') }}
    {%- else -%}
        {{ return('row_number() over (order by monotonically_increasing_id()) - 1') }}
    {%- endif -%}
{% endmacro %}

{#- A query whose first column lists the column names of a select. -#}
{% macro describe_query_sql(select_sql) %}
    {{ return(adapter.dispatch('describe_query_sql', 'customer_intelligence')(select_sql)) }}
{% endmacro %}

{% macro default__describe_query_sql(select_sql) %}
    {{ return('describe ' ~ select_sql) }}
{% endmacro %}

{% macro spark__describe_query_sql(select_sql) %}
    {{ return('describe query ' ~ select_sql) }}
{% endmacro %}

{#- The SQL type of a raw-contract type name (varchar, bigint, double, date, timestamp). -#}
{% macro raw_contract_sql_type(type_name) %}
    {%- set types = {
        'varchar': dbt.type_string(),
        'bigint': dbt.type_bigint(),
        'double': type_double(),
        'date': 'date',
        'timestamp': dbt.type_timestamp(),
    } -%}
    {{ return(types[type_name]) }}
{% endmacro %}
