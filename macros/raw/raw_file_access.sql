{#- How each engine lists, describes and reads the raw files (used by read_raw.sql).
    default__ is DuckDB (glob, read_parquet, read_csv); spark__ is Apache Spark SQL, which reads the
    same files in place through its file data sources (parquet.`path`, csv.`path`, binaryFile.`dir`).
    Every macro returns SQL text; none runs a query itself.

    No path is pasted into SQL as it is: every file or folder path goes through raw_path_sql (a quoted
    string literal on DuckDB, a quoted path identifier on Spark), and every other text value through
    sql_string, the one escaping macro (quotes doubled / escaped, NUL refused). -#}

{#- A text value as a SQL string literal: the one escaping rule for values pasted into SQL. -#}
{% macro sql_string(value) %}
    {{ return(adapter.dispatch('sql_string', 'customer_intelligence')(value)) }}
{% endmacro %}

{% macro default__sql_string(value) %}
    {%- set text = value | string -%}
    {%- if '\x00' in text -%}
        {{ exceptions.raise_compiler_error("A value cannot be used in SQL because it holds a NUL character: " ~ text | replace('\x00', '\\0')) }}
    {%- endif -%}
    {{ return("'" ~ text | replace("'", "''") ~ "'") }}
{% endmacro %}

{#- Spark SQL string literals take backslash escapes: backslashes and quotes are escaped. -#}
{% macro spark__sql_string(value) %}
    {%- set text = value | string -%}
    {%- if '\x00' in text -%}
        {{ exceptions.raise_compiler_error("A value cannot be used in SQL because it holds a NUL character: " ~ text | replace('\x00', '\\0')) }}
    {%- endif -%}
    {{ return("'" ~ text | replace('\\', '\\\\') | replace("'", "\\'") ~ "'") }}
{% endmacro %}

{#- A file or folder path as the engine's readers take it: a string literal on DuckDB (sql_string),
    a backquoted path on Spark (parquet.`path`; embedded backquotes doubled). -#}
{% macro raw_path_sql(path) %}
    {{ return(adapter.dispatch('raw_path_sql', 'customer_intelligence')(path)) }}
{% endmacro %}

{% macro default__raw_path_sql(path) %}
    {{ return(sql_string(path)) }}
{% endmacro %}

{% macro spark__raw_path_sql(path) %}
    {{ return('`' ~ path | string | replace('`', '``') ~ '`') }}
{% endmacro %}

{#- The file names a table may be read from: exactly <table>.parquet, <table>.csv or <table>.csv.gz
    (compared ignoring case). Any other name, e.g. orders.2024.csv or orders.csv.bak, is not read. -#}
{% macro raw_file_names(table_name) %}
    {{ return([table_name ~ '.parquet', table_name ~ '.csv', table_name ~ '.csv.gz']) }}
{% endmacro %}

{#- A file of a table's folder (<raw dir>/<table>/) that is read: a name ending in .parquet, .csv or
    .csv.gz (case ignored), not hidden (starting with '.' or '_', e.g. _SUCCESS, .part.crc) and without
    the glob wildcards * ? [ ] { } (the file reader would expand them into other files). -#}
{% macro raw_folder_file_is_data(name) %}
    {%- set lower = name.lower() -%}
    {{ return(not (lower.startswith('.') or lower.startswith('_')) and not modules.re.search("[*?\[\]{}]", name)
        and (lower.endswith('.parquet') or lower.endswith('.csv') or lower.endswith('.csv.gz'))) }}
{% endmacro %}

{#- A query with one column, file: every file in dir, sorted (read_raw.sql picks the table's files
    by exact name). The folder path is quoted by raw_path_sql; the glob pattern adds only '/*'. -#}
{% macro raw_file_listing_sql(dir) %}
    {{ return(adapter.dispatch('raw_file_listing_sql', 'customer_intelligence')(dir)) }}
{% endmacro %}

{% macro default__raw_file_listing_sql(dir) %}
    {{ return("select file from glob(" ~ raw_path_sql(dir ~ "/*") ~ ") order by file") }}
{% endmacro %}

{#- Spark SQL has no glob(): the binaryFile source lists the folder (its content column is never
    read because it is not selected). -#}
{% macro spark__raw_file_listing_sql(dir) %}
    {{ return("select path as file from binaryFile." ~ raw_path_sql(dir) ~ " order by path") }}
{% endmacro %}

{#- A query with one column, file: every file one level down, in <dir>/<folder>/ (the folder layout:
    a table's files in <dir>/<table>/). Quoted like raw_file_listing_sql. -#}
{% macro raw_folder_listing_sql(dir) %}
    {{ return(adapter.dispatch('raw_folder_listing_sql', 'customer_intelligence')(dir)) }}
{% endmacro %}

{% macro default__raw_folder_listing_sql(dir) %}
    {{ return("select file from glob(" ~ raw_path_sql(dir ~ "/*/*") ~ ") order by file") }}
{% endmacro %}

{#- The folder layout is read by DuckDB only; on Spark a table is one file (or a relation). -#}
{% macro spark__raw_folder_listing_sql(dir) %}
    {{ return("select cast(null as string) as file where 1 = 0") }}
{% endmacro %}

{#- A query with file, size (bytes) and modified_at (text) of each file of a list (the version of a
    file the load log compares: a re-sent file has another size or modification time). -#}
{% macro raw_file_stats_sql(files) %}
    {{ return(adapter.dispatch('raw_file_stats_sql', 'customer_intelligence')(files)) }}
{% endmacro %}

{% macro default__raw_file_stats_sql(files) %}
    {%- set paths = [] -%}
    {%- for f in files -%}{%- do paths.append(raw_path_sql(f)) -%}{%- endfor -%}
    {{ return("select filename as file, size, cast(last_modified as " ~ dbt.type_string() ~ ") as modified_at from read_blob(["
        ~ paths | join(', ') ~ "]) order by filename") }}
{% endmacro %}

{#- Spark SQL has no read_blob(): the binaryFile source gives each file's length and modification time
    (its content column is never read because it is not selected). -#}
{% macro spark__raw_file_stats_sql(files) %}
    {%- set parts = [] -%}
    {%- for f in files -%}
        {%- do parts.append("select path as file, length as size, cast(modificationTime as string) as modified_at from binaryFile." ~ raw_path_sql(f)) -%}
    {%- endfor -%}
    {{ return(parts | join(' union all ') ~ " order by file") }}
{% endmacro %}

{#- The size in bytes of a raw file, as a one-value query. -#}
{% macro raw_file_size_sql(file) %}
    {%- if file is not string -%}{{ return(raw_relation_size_sql(file)) }}{%- endif -%}
    {{ return(adapter.dispatch('raw_file_size_sql', 'customer_intelligence')(file)) }}
{% endmacro %}

{% macro default__raw_file_size_sql(file) %}
    {{ return("select size from read_blob(" ~ raw_path_sql(file) ~ ")") }}
{% endmacro %}

{% macro spark__raw_file_size_sql(file) %}
    {{ return("select length from binaryFile." ~ raw_path_sql(file)) }}
{% endmacro %}

{#- A table expression reading one raw file: Parquet typed; CSV with a header row, every value as
    text, RFC-4180 quoting (quoted commas, quotes and newlines inside fields), the table's encoding
    (var raw_csv_encoding). DuckDB reads utf-8, utf-16 and latin-1 itself; a Windows-1252 file is
    read from its UTF-8 copy (raw_transcoded_file). extra_options: more DuckDB read_csv options. -#}
{% macro raw_reader(file, table_name, extra_options='') %}
    {%- if file is not string -%}{{ return(raw_relation_reader(file, table_name)) }}{%- endif -%}
    {{ return(adapter.dispatch('raw_reader', 'customer_intelligence')(file, table_name, extra_options)) }}
{% endmacro %}

{% macro default__raw_reader(file, table_name, extra_options='') %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("read_parquet(" ~ raw_path_sql(file) ~ ", file_row_number = true)") }}
    {%- else -%}
        {%- set encoding = raw_csv_encoding(table_name) -%}
        {%- if encoding in raw_transcoded_encodings() -%}
            {%- set transcoded = raw_transcoded_file(file, encoding) -%}
            {%- if transcoded['problem'] -%}
                {{ exceptions.raise_compiler_error(transcoded['problem']) }}
            {%- endif -%}
            {%- set file = transcoded['file'] -%}
            {%- set encoding = 'utf-8' -%}
        {%- endif -%}
        {{ return("read_csv(" ~ raw_path_sql(file) ~ ", header = true, all_varchar = true, auto_detect = true, max_line_size = 10000000"
            ~ (", encoding = " ~ sql_string(encoding) if encoding != 'utf-8' else '') ~ extra_options ~ ")") }}
    {%- endif -%}
{% endmacro %}

{#- Encodings of var raw_csv_encoding that DuckDB's CSV reader cannot read without its encodings
    extension (downloaded from the internet): read from a UTF-8 copy instead. -#}
{% macro raw_transcoded_encodings() %}
    {{ return(['cp1252', 'latin-1']) }}
{% endmacro %}

{#- The UTF-8 copy of a raw CSV file in another encoding: {'file': the copy, 'problem': ''} or
    {'file': none, 'problem': a message naming the file, byte position, line and setting}. The copy is
    made once per file version (size, mtime) under <warehouse folder>/raw_transcoded by the SQL
    function ciq_transcode (customer_intelligence/tools/raw_transcode.py, a dbt-duckdb plugin named in
    profiles.yml); the user's file is never modified. -#}
{% macro raw_transcoded_file(file, encoding) %}
    {%- set warehouse = env_var('CIQ_WAREHOUSE_PATH', 'warehouse/customer_intelligence.duckdb') | replace('\\', '/') -%}
    {%- set cache_dir = (warehouse.rsplit('/', 1)[0] if '/' in warehouse else '.') ~ '/raw_transcoded' -%}
    {%- set result = run_query("select ciq_transcode(" ~ raw_path_sql(file) ~ ", " ~ sql_string(encoding) ~ ", " ~ sql_string(cache_dir) ~ ")").columns[0].values()[0] -%}
    {%- if result.startswith('ok:') -%}
        {{ return({'file': result[3:], 'problem': ''}) }}
    {%- endif -%}
    {{ return({'file': none, 'problem': result[6:] ~ ". Set var raw_csv_encoding to the file's encoding (utf-8, utf-16, latin-1 or cp1252; for every file, or per table as {table: encoding})"}) }}
{% endmacro %}

{#- Spark reads CSV columns as text by default (no inferSchema), like DuckDB's all_varchar. -#}
{% macro spark__raw_reader(file, table_name, extra_options='') %}
    {%- if file.lower().endswith('.parquet') -%}
        {{ return("parquet." ~ raw_path_sql(file)) }}
    {%- else -%}
        {%- set encoding = {'utf-8': 'UTF-8', 'latin-1': 'ISO-8859-1', 'utf-16': 'UTF-16', 'cp1252': 'windows-1252'}[raw_csv_encoding(table_name)] -%}
        {{ return("csv." ~ raw_path_sql(file) ~ " with ('header' = 'true', 'multiLine' = 'true', 'escape' = '\"', 'encoding' = '" ~ encoding ~ "')") }}
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
