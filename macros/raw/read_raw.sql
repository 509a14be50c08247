{#- Loading raw files (bring-your-own data).

    read_raw(table) renders a select over the raw file of one table of the raw contract:
    - the file is <CIQ_RAW_DIR>/<table>.parquet, .csv or .csv.gz (found at run time: raw_file_access.sql);
    - a missing optional file, a 0-byte one, or one with a header but no data rows yields a typed,
      empty select (the table counts as absent); for the required orders table each is a clear error;
    - contract columns are matched ignoring case, spaces and underscores (UnitPrice = unit_price),
      or through var raw_column_map; a missing required column is a clear error naming the file,
      the column and what was expected; missing optional columns come through as nulls; extra
      columns are ignored (logged);
    - CSV is read all-varchar, UTF-8 by default (var raw_csv_encoding: latin-1 / utf-16, for all
      files or per table); a numeric key column of a Parquet file (e.g. a float64 customer_id
      written by pandas) is rendered as whole-number text, so 1001.0 matches '1001' in a CSV file;
    - every row carries _raw_row_number, its 0-based position in the file, so every raw row can be
      accounted for downstream (staged, rejected with a reason, or removed as a duplicate).
    Values are passed through untyped; staging casts them safely. The hook validate_inputs()
    runs the same checks for every table before any model is built and reports all problems at once. -#}

{% macro raw_dir() %}
    {%- set dir = env_var('CIQ_RAW_DIR', 'data/raw') | replace('\\', '/') -%}
    {%- set problem = raw_dir_problem(dir) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {{ return(dir.rstrip('/')) }}
{% endmacro %}

{#- Why a CIQ_RAW_DIR value cannot be used in SQL (empty string when it can). -#}
{% macro raw_dir_problem(dir) %}
    {%- if dir | trim == '' -%}
        {{ return("CIQ_RAW_DIR must be a non-empty folder path, got an empty value") }}
    {%- elif modules.re.search("['\"\\x00-\\x1f]", dir) -%}
        {{ return("CIQ_RAW_DIR must be a path without quotes or control characters, got: " ~ dir) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Raw files found for a table: <table>.parquet / .csv / .csv.gz in the raw folder. -#}
{% macro raw_file_candidates(table_name) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if raw_relation_config(table_name) is not none -%}{{ return(raw_relation_candidates(table_name)) }}{%- endif -%}
    {%- set found = [] -%}
    {%- for f in run_query(raw_file_listing_sql(raw_dir(), table_name)).columns[0].values() -%}
        {%- if f.lower().endswith('.parquet') or f.lower().endswith('.csv') or f.lower().endswith('.csv.gz') -%}
            {%- do found.append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{% macro is_csv_file(file) %}
    {{ return(file is string and (file.lower().endswith('.csv') or file.lower().endswith('.csv.gz'))) }}
{% endmacro %}

{#- The state of a table's raw file: {'state': missing | ambiguous | empty | no_rows | ok, 'file', 'files'}.
    empty = 0 bytes; no_rows = a header (or a Parquet schema) but no data row. -#}
{% macro raw_file_status(table_name) %}
    {%- set files = raw_file_candidates(table_name) -%}
    {%- if files | length == 0 -%}
        {{ return({'state': 'missing', 'file': none, 'files': files}) }}
    {%- elif files | length > 1 -%}
        {{ return({'state': 'ambiguous', 'file': none, 'files': files}) }}
    {%- endif -%}
    {%- set file = files[0] -%}
    {%- set size = run_query(raw_file_size_sql(file)).columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ return({'state': 'empty', 'file': file, 'files': files}) }}
    {%- endif -%}
    {%- set has_row = run_query("select count(*) from (select 1 from " ~ raw_reader(file, table_name) ~ " limit 1) as probe").columns[0].values()[0] -%}
    {{ return({'state': 'ok' if has_row > 0 else 'no_rows', 'file': file, 'files': files}) }}
{% endmacro %}

{#- The message for a raw file that cannot be read as the given state (empty string when ok or missing-optional). -#}
{% macro raw_file_state_problem(table_name, status) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- if raw_relation_config(table_name) is not none -%}{{ return(raw_relation_state_problem(table_name, status)) }}{%- endif -%}
    {%- if status['state'] == 'ambiguous' -%}
        {{ return("Raw table '" ~ table_name ~ "': more than one file found in " ~ raw_dir() ~ " (" ~ status['files'] | join(', ') ~ "); keep exactly one of .parquet, .csv or .csv.gz") }}
    {%- elif not spec['required_file'] -%}
        {{ return('') }}
    {%- elif status['state'] == 'missing' -%}
        {{ return("Raw table '" ~ table_name ~ "' is required but no " ~ table_name ~ ".parquet, " ~ table_name ~ ".csv or " ~ table_name ~ ".csv.gz was found in " ~ raw_dir() ~ " (set CIQ_RAW_DIR to the folder holding your files)") }}
    {%- elif status['state'] == 'empty' -%}
        {{ return("Raw file '" ~ status['file'] ~ "' is empty (0 bytes); the " ~ table_name ~ " table is required: expected a header row and at least one data row") }}
    {%- elif status['state'] == 'no_rows' -%}
        {{ return("Raw file '" ~ status['file'] ~ "' has a header but no data rows; the " ~ table_name ~ " table is required: expected at least one row") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- The usable raw file of a table, or none when it is absent, empty or has no data rows
    (errors for an ambiguous folder, and for a required table that is not usable). -#}
{% macro find_raw_file(table_name) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set status = raw_file_status(table_name) -%}
    {%- set problem = raw_file_state_problem(table_name, status) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {{ return(status['file'] if status['state'] == 'ok' else none) }}
{% endmacro %}

{% macro has_raw_file(table_name) %}
    {{ return(find_raw_file(table_name) is not none) }}
{% endmacro %}

{#- The CSV encoding of a table: var raw_csv_encoding, one value for every file or {table: encoding}. -#}
{% macro raw_csv_encoding(table_name) %}
    {%- set setting = var('raw_csv_encoding', 'utf-8') -%}
    {%- if setting is mapping -%}
        {%- set setting = setting.get(table_name, 'utf-8') -%}
    {%- endif -%}
    {%- set encoding = setting | string | trim | lower | replace('_', '-') -%}
    {%- set aliases = {'utf8': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf16': 'utf-16'} -%}
    {%- set encoding = aliases.get(encoding, encoding) -%}
    {%- if encoding not in ('utf-8', 'latin-1', 'utf-16') -%}
        {{ exceptions.raise_compiler_error("var raw_csv_encoding must be utf-8, latin-1 or utf-16 (for every file, or per table as {table: encoding}); got for " ~ table_name ~ ": '" ~ setting ~ "'") }}
    {%- endif -%}
    {{ return(encoding) }}
{% endmacro %}

{#- Columns of a raw file: list of {'name', 'type'} (without the reader's file_row_number). -#}
{% macro raw_file_columns(file, table_name) %}
    {%- set described = run_query(describe_query_sql('select * from ' ~ raw_reader(file, table_name))) -%}
    {%- set columns = [] -%}
    {%- for row in described.rows -%}
        {%- if row[0] != 'file_row_number' -%}
            {%- do columns.append({'name': row[0], 'type': raw_type_name(row[1])}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- A column name compared ignoring case, spaces, underscores and a byte-order mark. -#}
{% macro raw_name_key(name) %}
    {{ return(name.lower().strip().lstrip('\ufeff').replace('_', '').replace(' ', '')) }}
{% endmacro %}

{#- Match the contract columns of a table to the columns of its file.
    Returns {'mapping': {contract column: file column}, 'problems': [messages], 'extra': [ignored columns]}. -#}
{% macro raw_column_matching(table_name, file) %}
    {%- set spec = raw_contract()[table_name]['columns'] -%}
    {%- set user_map = var('raw_column_map', {}) -%}
    {%- set user_map = user_map.get(table_name, {}) if user_map is mapping else {} -%}
    {%- set user_map = user_map if user_map is mapping else {} -%}
    {%- set file_columns = raw_file_columns(file, table_name) | map(attribute='name') | list -%}
    {%- set by_key = {} -%}
    {%- set problems = [] -%}
    {%- for c in file_columns -%}
        {%- set key = raw_name_key(c) -%}
        {%- if key in by_key -%}
            {%- do problems.append("Raw file '" ~ file ~ "': columns '" ~ by_key[key] ~ "' and '" ~ c ~ "' have the same name once case, spaces and underscores are ignored; rename one of them") -%}
        {%- else -%}
            {%- do by_key.update({key: c}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set mapping = {} -%}
    {%- for col, props in spec.items() -%}
        {%- set wanted = user_map.get(col, col) | string -%}
        {%- set wanted_key = raw_name_key(wanted) -%}
        {%- if wanted_key in by_key -%}
            {%- do mapping.update({col: by_key[wanted_key]}) -%}
        {%- elif col in user_map -%}
            {%- do problems.append("Raw file '" ~ file ~ "': var raw_column_map maps " ~ table_name ~ "." ~ col ~ " to column '" ~ wanted ~ "', which the file does not have (expected " ~ props['type'] ~ "). Columns found: " ~ file_columns | join(', ')) -%}
        {%- elif props['required'] -%}
            {%- do problems.append("Raw file '" ~ file ~ "': required column '" ~ col ~ "' is missing (expected " ~ props['type'] ~ "). Columns found: " ~ file_columns | join(', ') ~ ". If your file names it differently, set var raw_column_map: {" ~ table_name ~ ": {" ~ col ~ ": <your column>}}") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set extra = [] -%}
    {%- for c in file_columns -%}
        {%- if c not in mapping.values() -%}{%- do extra.append(c) -%}{%- endif -%}
    {%- endfor -%}
    {{ return({'mapping': mapping, 'problems': problems, 'extra': extra}) }}
{% endmacro %}

{#- Map contract column -> column name in the file (only those present); a clear error on any problem. -#}
{% macro raw_column_mapping(table_name, file) %}
    {%- set matched = raw_column_matching(table_name, file) -%}
    {%- if matched['problems'] -%}
        {{ exceptions.raise_compiler_error(matched['problems'] | join('\n')) }}
    {%- endif -%}
    {%- if matched['extra'] -%}
        {%- do log("raw " ~ table_name ~ ": ignoring columns not in the raw contract: " ~ matched['extra'] | join(', '), info=true) -%}
    {%- endif -%}
    {{ return(matched['mapping']) }}
{% endmacro %}

{#- Contract columns present in this table's file (empty when the file is absent). -#}
{% macro raw_columns_present(table_name) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set file = find_raw_file(table_name) -%}
    {%- if file is none -%}{{ return([]) }}{%- endif -%}
    {{ return(raw_column_mapping(table_name, file).keys() | list) }}
{% endmacro %}

{#- A file column rendered for a text contract column: numbers with a fractional type (float64 ids
    written by pandas, decimals) become whole-number text when they are whole. -#}
{% macro raw_text_expression(identifier, file_type) %}
    {%- if file_type.startswith('DOUBLE') or file_type.startswith('FLOAT') or file_type.startswith('DECIMAL') or file_type == 'REAL' -%}
        {{ return("case when " ~ identifier ~ " = floor(" ~ identifier ~ ") and abs(" ~ identifier ~ ") < 1e15 then cast(cast("
            ~ identifier ~ " as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ") else cast(" ~ identifier ~ " as " ~ dbt.type_string() ~ ") end") }}
    {%- endif -%}
    {{ return(identifier) }}
{% endmacro %}

{% macro read_raw(table_name) %}
    {%- set spec = raw_contract()[table_name] -%}
    {#- register lineage to the source (its relation is not queried here) -#}
    {%- set _source = source('raw', table_name) -%}
    {%- set file = find_raw_file(table_name) if execute else none -%}
    {%- if file is none %}
    select
        cast(null as {{ dbt.type_bigint() }}) as _raw_row_number,
        {%- for col, props in spec['columns'].items() %}
        cast(null as {{ raw_contract_sql_type(props['type']) }}) as {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    {%- set mapping = raw_column_mapping(table_name, file) -%}
    {%- set file_types = {} -%}
    {%- for c in raw_file_columns(file, table_name) -%}
        {%- do file_types.update({c['name']: c['type']}) -%}
    {%- endfor %}
    select
        {{ raw_row_number(file) }} as _raw_row_number,
        {%- for col, props in spec['columns'].items() %}
        {% if col in mapping and props['type'] == 'varchar' -%}
        {{ raw_text_expression(raw_identifier(mapping[col]), file_types[mapping[col]]) }} as {{ col }}
        {%- elif col in mapping -%}
        {{ raw_identifier(mapping[col]) }} as {{ col }}
        {%- else -%}
        cast(null as {{ raw_contract_sql_type(props['type']) }}) as {{ col }}
        {%- endif -%}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ raw_reader(file, table_name) }}
    {%- endif -%}
{% endmacro %}
