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

{#- The size in bytes of a raw file, as a one-value query. -#}
{% macro raw_file_size_sql(file) %}
    {%- if file is not string -%}{{ return(raw_relation_size_sql(file)) }}{%- endif -%}
    {{ return(adapter.dispatch('raw_file_size_sql', 'customer_intelligence')(file)) }}
{% endmacro %}

{% macro default__raw_file_size_sql(file) %}
    {{ return("select size from read_blob('" ~ file ~ "')") }}
{% endmacro %}

{% macro spark__raw_file_size_sql(file) %}
    {{ return("select length from binaryFile.`" ~ file ~ "`") }}
{% endmacro %}

{#- A table expression reading one raw file: Parquet typed; CSV with a header row, every value as
    text, RFC-4180 quoting (quoted commas, quotes and newlines inside fields), the table's encoding
    (var raw_csv_encoding). extra_options: more DuckDB read_csv options (DuckDB only). -#}
{% macro raw_reader(file, table_name, extra_options='') %}
    {%- if file is not string -%}{{ return(raw_relation_reader(file, table_name)) }}{%- endif -%}
    {{ return(adapter.dispatch('raw_reader', 'customer_intelligence')(file, table_name, extra_options)) }}
{% endmacro %}

{% macro default__raw_reader(file, table_name, extra_options='') %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("read_parquet('" ~ file ~ "', file_row_number = true)") }}
    {%- else -%}
        {%- set encoding = raw_csv_encoding(table_name) -%}
        {{ return("read_csv('" ~ file ~ "', header = true, all_varchar = true, auto_detect = true, max_line_size = 10000000"
            ~ (", encoding = '" ~ encoding ~ "'" if encoding != 'utf-8' else '') ~ extra_options ~ ")") }}
    {%- endif -%}
{% endmacro %}

{#- Spark reads CSV columns as text by default (no inferSchema), like DuckDB's all_varchar. -#}
{% macro spark__raw_reader(file, table_name, extra_options='') %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("parquet.`" ~ file ~ "`") }}
    {%- else -%}
        {%- set encoding = {'utf-8': 'UTF-8', 'latin-1': 'ISO-8859-1', 'utf-16': 'UTF-16'}[raw_csv_encoding(table_name)] -%}
        {{ return("csv.`" ~ file ~ "` with ('header' = 'true', 'multiLine' = 'true', 'escape' = '\"', 'encoding' = '" ~ encoding ~ "')") }}
    {%- endif -%}
{% endmacro %}

{#- A column of a raw file as SQL, quoted (embedded quote characters doubled). -#}
{% macro raw_identifier(name) %}
    {{ return(adapter.dispatch('raw_identifier', 'customer_intelligence')(name)) }}
{% endmacro %}

{% macro default__raw_identifier(name) %}
    {{ return('"' ~ name | replace('"', '""') ~ '"') }}
{% endmacro %}

{% macro spark__raw_identifier(name) %}
    {{ return('`' ~ name | replace('`', '``') ~ '`') }}
{% endmacro %}

{#- A raw file column's type in DuckDB's upper-case names (VARCHAR, BIGINT, DOUBLE, TIMESTAMP, ...),
    whatever the engine, so the loader's type checks are written once. -#}
{% macro raw_type_name(engine_type) %}
    {{ return(adapter.dispatch('raw_type_name', 'customer_intelligence')(engine_type)) }}
{% endmacro %}

{% macro default__raw_type_name(engine_type) %}
    {{ return(engine_type | string | upper) }}
{% endmacro %}

{% macro spark__raw_type_name(engine_type) %}
    {%- set name = engine_type | string | trim | lower -%}
    {%- set duckdb_names = {
        'string': 'VARCHAR', 'binary': 'BLOB', 'tinyint': 'TINYINT', 'smallint': 'SMALLINT', 'int': 'INTEGER',
        'bigint': 'BIGINT', 'float': 'FLOAT', 'double': 'DOUBLE', 'boolean': 'BOOLEAN', 'date': 'DATE',
        'timestamp': 'TIMESTAMP WITH TIME ZONE', 'timestamp_ntz': 'TIMESTAMP',
    } -%}
    {{ return(duckdb_names.get(name, name | upper)) }}
{% endmacro %}

{#- The 0-based position of each row in the raw file, as an expression over raw_reader(file). -#}
{% macro raw_row_number(file) %}
    {%- if file is not string -%}{{ return(raw_relation_row_number(file)) }}{%- endif -%}
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
