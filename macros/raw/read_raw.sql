{#- Loading raw files (bring-your-own data).

    read_raw(table) renders a select over the raw file of one table of the raw contract:
    - the file is <CIQ_RAW_DIR>/<table>.parquet or .csv (found at run time: raw_file_access.sql);
    - a missing optional file yields a typed, empty select; a missing required file is a clear error;
    - contract columns are matched ignoring case, spaces and underscores (UnitPrice = unit_price),
      or through var raw_column_map; a missing
      required column is a clear error naming the file, the column and what was expected;
      missing optional columns come through as nulls; extra columns are ignored (logged);
    - every row carries _raw_row_number, its 0-based position in the file, so every raw row can be
      accounted for downstream (staged, rejected with a reason, or removed as a duplicate).
    Values are passed through untyped (CSV is read all-varchar); staging casts them safely. -#}

{% macro raw_dir() %}
    {%- set dir = env_var('CIQ_RAW_DIR', 'data/raw') | replace('\\', '/') -%}
    {%- if "'" in dir or dir | trim == '' -%}
        {{ exceptions.raise_compiler_error("CIQ_RAW_DIR must be a non-empty path without quotes, got: " ~ dir) }}
    {%- endif -%}
    {{ return(dir.rstrip('/')) }}
{% endmacro %}

{% macro find_raw_file(table_name) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set found = [] -%}
    {%- for f in run_query(raw_file_listing_sql(raw_dir(), table_name)).columns[0].values() -%}
        {%- if f.lower().endswith('.parquet') or f.lower().endswith('.csv') or f.lower().endswith('.csv.gz') -%}
            {%- do found.append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found | length > 1 -%}
        {{ exceptions.raise_compiler_error("Raw table '" ~ table_name ~ "': more than one file found in " ~ raw_dir() ~ " (" ~ found | join(', ') ~ "); keep exactly one of .parquet or .csv") }}
    {%- endif -%}
    {{ return(found[0] if found else none) }}
{% endmacro %}

{% macro has_raw_file(table_name) %}
    {{ return(find_raw_file(table_name) is not none) }}
{% endmacro %}

{#- Map contract column -> column name in the file (only those present). -#}
{% macro raw_column_mapping(table_name, file) %}
    {%- set spec = raw_contract()[table_name]['columns'] -%}
    {%- set user_map = var('raw_column_map', {}).get(table_name, {}) -%}
    {%- set described = run_query(describe_query_sql('select * from ' ~ raw_reader(file))) -%}
    {%- set file_columns = [] -%}
    {%- for c in described.columns[0].values() -%}
        {%- if c != 'file_row_number' -%}{%- do file_columns.append(c) -%}{%- endif -%}
    {%- endfor -%}
    {%- set by_lower = {} -%}
    {%- for c in file_columns -%}
        {%- do by_lower.update({c.lower().strip().lstrip('\ufeff').replace('_', '').replace(' ', ''): c}) -%}
    {%- endfor -%}
    {%- set mapping = {} -%}
    {%- for col, props in spec.items() -%}
        {%- set wanted = user_map.get(col, col) -%}
        {%- set wanted_key = wanted.lower().strip().replace('_', '').replace(' ', '') -%}
        {%- if wanted_key in by_lower -%}
            {%- do mapping.update({col: by_lower[wanted_key]}) -%}
        {%- elif col in user_map -%}
            {{ exceptions.raise_compiler_error("Raw file '" ~ file ~ "': raw_column_map maps " ~ table_name ~ "." ~ col ~ " to column '" ~ wanted ~ "', which the file does not have. Columns found: " ~ file_columns | join(', ')) }}
        {%- elif props['required'] -%}
            {{ exceptions.raise_compiler_error("Raw file '" ~ file ~ "': required column '" ~ col ~ "' is missing (expected " ~ props['type'] ~ "). Columns found: " ~ file_columns | join(', ') ~ ". If your file names it differently, set var raw_column_map: {" ~ table_name ~ ": {" ~ col ~ ": <your column>}}") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set extra = [] -%}
    {%- for c in file_columns -%}
        {%- if c not in mapping.values() -%}{%- do extra.append(c) -%}{%- endif -%}
    {%- endfor -%}
    {%- if extra -%}
        {%- do log("raw " ~ table_name ~ ": ignoring columns not in the raw contract: " ~ extra | join(', '), info=true) -%}
    {%- endif -%}
    {{ return(mapping) }}
{% endmacro %}

{#- Contract columns present in this table's file (empty when the file is absent). -#}
{% macro raw_columns_present(table_name) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set file = find_raw_file(table_name) -%}
    {%- if file is none -%}{{ return([]) }}{%- endif -%}
    {{ return(raw_column_mapping(table_name, file).keys() | list) }}
{% endmacro %}

{% macro read_raw(table_name) %}
    {%- set spec = raw_contract()[table_name] -%}
    {#- register lineage to the source (its relation is not queried here) -#}
    {%- set _source = source('raw', table_name) -%}
    {%- set file = find_raw_file(table_name) if execute else none -%}
    {%- if execute and file is none and spec['required_file'] -%}
        {{ exceptions.raise_compiler_error("Raw table '" ~ table_name ~ "' is required but no " ~ table_name ~ ".parquet or " ~ table_name ~ ".csv was found in " ~ raw_dir() ~ " (set CIQ_RAW_DIR to the folder holding your files)") }}
    {%- endif -%}
    {%- if file is none %}
    select
        cast(null as {{ dbt.type_bigint() }}) as _raw_row_number,
        {%- for col, props in spec['columns'].items() %}
        cast(null as {{ raw_contract_sql_type(props['type']) }}) as {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    {%- set mapping = raw_column_mapping(table_name, file) %}
    select
        {{ raw_row_number(file) }} as _raw_row_number,
        {%- for col, props in spec['columns'].items() %}
        {% if col in mapping -%}
        {{ adapter.quote(mapping[col]) }} as {{ col }}
        {%- else -%}
        cast(null as {{ raw_contract_sql_type(props['type']) }}) as {{ col }}
        {%- endif -%}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ raw_reader(file) }}
    {%- endif -%}
{% endmacro %}
