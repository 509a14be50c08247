{#- Loading raw files (bring-your-own data).

    read_raw(table) renders a select over the raw file of one table of the raw contract:
    - the file is <CIQ_RAW_DIR>/<table>.parquet, .csv or .csv.gz (found at run time: raw_file_access.sql);
    - a missing optional file, a 0-byte one, or one with a header but no data rows yields a typed,
      empty select (the table counts as absent); for the required orders table each is a clear error;
    - contract columns are matched ignoring case, spaces and underscores (UnitPrice = unit_price),
      or through var raw_column_map, or by a known synonym (StockCode = product_id: row rule R3);
      a missing required column is a clear error naming the file,
      the column and what was expected; missing optional columns come through as nulls; extra
      columns are not used but are part of _raw_row_hash (logged);
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

{#- Why a CIQ_RAW_DIR value cannot be used (empty string when it can). Quotes, spaces, semicolons and
    any Unicode are fine (raw_path_sql quotes the path); control characters and the glob wildcards
    * ? [ ] are not, because the engine would expand them into other files. -#}
{% macro raw_dir_problem(dir) %}
    {%- if dir | trim == '' -%}
        {{ return("CIQ_RAW_DIR must be a non-empty folder path, got an empty value") }}
    {%- elif modules.re.search("[\x00-\x1f]", dir) -%}
        {{ return("CIQ_RAW_DIR must be a path without control characters (tab, newline, ...), got: " ~ dir | replace('\n', '\\n') | replace('\t', '\\t')) }}
    {%- elif modules.re.search("[*?\[\]{}]", dir) -%}
        {{ return("CIQ_RAW_DIR must be a folder path without the wildcard characters * ? [ ] { } (the file reader would expand them into other files), got: " ~ dir ~ "; rename the folder or point CIQ_RAW_DIR at a link to it") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Every file in the raw folder whose name starts with '<table>.' (case ignored), split into
    {'read': the table's files, named exactly as raw_file_names(table), 'ignored': the others,
    'folder': the data files of the folder <raw dir>/<table>/ (the folder layout, raw_folder_file_is_data;
    its other files are 'ignored')}; for a table read from a relation (raw_relation_source.sql),
    'read' holds that relation if it exists. -#}
{% macro raw_file_listing(table_name) %}
    {%- set result = {'read': [], 'ignored': [], 'folder': []} -%}
    {%- if not execute -%}{{ return(result) }}{%- endif -%}
    {%- if raw_relation_config(table_name) is not none -%}
        {{ return({'read': raw_relation_candidates(table_name), 'ignored': []}) }}
    {%- endif -%}
    {%- set names = raw_file_names(table_name) -%}
    {%- for f in run_query(raw_file_listing_sql(raw_dir())).columns[0].values() -%}
        {%- set base = (f | replace('\\', '/')).split('/')[-1] -%}
        {%- if base.lower() in names -%}
            {%- do result['read'].append(f) -%}
        {%- elif base.lower().startswith(table_name ~ '.') -%}
            {%- do result['ignored'].append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for f in run_query(raw_folder_listing_sql(raw_dir())).columns[0].values() -%}
        {%- set parts = (f | replace('\\', '/')).split('/') -%}
        {%- if parts[-2].lower() == table_name -%}
            {%- do result['folder' if raw_folder_file_is_data(parts[-1]) else 'ignored'].append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}

{#- Raw files found for a table: exactly <table>.parquet / .csv / .csv.gz in the raw folder. -#}
{% macro raw_file_candidates(table_name) %}
    {{ return(raw_file_listing(table_name)['read']) }}
{% endmacro %}

{% macro is_csv_file(file) %}
    {{ return(file is string and (file.lower().endswith('.csv') or file.lower().endswith('.csv.gz'))) }}
{% endmacro %}

{#- The state of a table's raw file: {'state': missing | ambiguous | empty | no_rows | ok, 'file', 'files'}.
    empty = 0 bytes; no_rows = a header (or a Parquet schema) but no data row. -#}
{% macro raw_file_status(table_name) %}
    {%- set listing = raw_file_listing(table_name) -%}
    {%- if listing.get('folder') -%}
        {{ return(raw_folder_status(table_name, listing)) }}
    {%- endif -%}
    {%- set files = listing['read'] -%}
    {%- if files | length == 0 -%}
        {{ return({'state': 'missing', 'file': none, 'files': files, 'ignored': listing['ignored']}) }}
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

{#- The state of a table in the folder layout: ambiguous when <table>.parquet|.csv|.csv.gz exists too;
    else ok with 'files' the folder's non-empty files, 'stats' {file: {'size', 'modified_at'}} and
    'skipped' the 0-byte ones; empty when every file is 0 bytes. A header-only file adds no rows. -#}
{% macro raw_folder_status(table_name, listing) %}
    {%- if listing['read'] -%}
        {{ return({'state': 'ambiguous', 'file': none, 'files': listing['read'] + listing['folder'], 'layout': 'folder'}) }}
    {%- endif -%}
    {%- set stats = {} -%}
    {%- set files = [] -%}
    {%- set skipped = [] -%}
    {%- for row in run_query(raw_file_stats_sql(listing['folder'])).rows -%}
        {%- do stats.update({row[0]: {'size': row[1], 'modified_at': row[2]}}) -%}
        {%- do (files if row[1] > 0 else skipped).append(row[0]) -%}
    {%- endfor -%}
    {{ return({'state': 'ok' if files else 'empty', 'file': files[0] if files else none, 'files': files,
        'layout': 'folder', 'stats': stats, 'skipped': skipped, 'ignored': listing['ignored']}) }}
{% endmacro %}

{#- 'folder' when a table is read from the folder layout (<raw dir>/<table>/), else 'file'. -#}
{% macro raw_layout(table_name) %}
    {%- if not execute or raw_relation_config(table_name) is not none -%}{{ return('file') }}{%- endif -%}
    {{ return('folder' if raw_file_listing(table_name).get('folder') else 'file') }}
{% endmacro %}

{#- A raw file's name as rows carry it in _raw_file: its path under the raw folder (orders.parquet,
    orders/2024-12-31.parquet); a relation source as its name. -#}
{% macro raw_file_label(file) %}
    {%- if file is not string -%}{{ return(file | string) }}{%- endif -%}
    {%- set path = file | replace('\\', '/') -%}
    {%- set prefix = raw_dir() ~ '/' -%}
    {{ return(path[prefix | length:] if path.startswith(prefix) else path.split('/')[-1]) }}
{% endmacro %}

{#- The message for a raw file that cannot be read as the given state (empty string when ok or missing-optional). -#}
{% macro raw_file_state_problem(table_name, status) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- if raw_relation_config(table_name) is not none -%}{{ return(raw_relation_state_problem(table_name, status)) }}{%- endif -%}
    {%- if status['state'] == 'ambiguous' -%}
        {{ return("Raw table '" ~ table_name ~ "': " ~ status['files'] | length ~ " files found in " ~ raw_dir() ~ " (" ~ status['files'] | join(', ') ~ "); keep exactly one of " ~ raw_file_names(table_name) | join(', ') ~ " or a folder " ~ table_name ~ "/ of files (not both)") }}
    {%- elif not spec['required_file'] -%}
        {{ return('') }}
    {%- elif status['state'] == 'missing' -%}
        {{ return("Raw table '" ~ table_name ~ "' is required but no " ~ table_name ~ ".parquet, " ~ table_name ~ ".csv or " ~ table_name ~ ".csv.gz was found in " ~ raw_dir() ~ " (set CIQ_RAW_DIR to the folder holding your files)"
            ~ ("; files with other names are not read: " ~ status['ignored'] | join(', ') ~ " (rename the one to use to " ~ table_name ~ ".csv, .csv.gz or .parquet)" if status.get('ignored') else '')) }}
    {%- elif status['state'] == 'empty' -%}
        {{ return("Raw file '" ~ status['file'] ~ "' is empty (0 bytes); the " ~ table_name ~ " table is required: expected a header row and at least one data row") }}
    {%- elif status['state'] == 'no_rows' -%}
        {{ return("Raw file '" ~ status['file'] ~ "' has a header but no data rows; the " ~ table_name ~ " table is required: expected at least one row") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- The usable raw files of a table: [its file], the non-empty files of its folder (folder layout),
    or [] when it is absent, empty or has no data rows (errors for an ambiguous folder, and for a
    required table that is not usable). -#}
{% macro find_raw_files(table_name) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set status = raw_file_status(table_name) -%}
    {%- set problem = raw_file_state_problem(table_name, status) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {%- if status['state'] != 'ok' -%}{{ return([]) }}{%- endif -%}
    {{ return(status['files'] if status.get('layout') == 'folder' else [status['file']]) }}
{% endmacro %}

{#- The usable raw file of a table (the first of a folder), or none (find_raw_files). -#}
{% macro find_raw_file(table_name) %}
    {%- set files = find_raw_files(table_name) -%}
    {{ return(files[0] if files else none) }}
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
    {%- set encoding = raw_csv_encoding_aliases().get(encoding, encoding) -%}
    {%- if encoding not in ('utf-8', 'latin-1', 'utf-16', 'cp1252') -%}
        {{ exceptions.raise_compiler_error("var raw_csv_encoding must be utf-8, utf-16, latin-1 or cp1252 (for every file, or per table as {table: encoding}); got for " ~ table_name ~ ": '" ~ setting ~ "'") }}
    {%- endif -%}
    {{ return(encoding) }}
{% endmacro %}

{#- Other names of the supported encodings (compared lower case, '_' as '-'). -#}
{% macro raw_csv_encoding_aliases() %}
    {{ return({'utf8': 'utf-8', 'utf-8-sig': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf16': 'utf-16',
        'windows-1252': 'cp1252', 'win1252': 'cp1252', 'win-1252': 'cp1252', 'cp-1252': 'cp1252'}) }}
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
    1. var raw_column_map, else the contract name (ignoring case, spaces and underscores);
    2. row rule R3: a contract column still unmatched takes the file column whose name is one of its
       known synonyms (macros/raw/raw_contract.sql raw_column_synonyms), among file columns not
       matched in step 1; two file columns claiming one contract column is a problem naming both
       and the raw_column_map setting (never a silent pick);
    3. the remaining file columns are 'extra': not used, but part of the row hash (exact duplicates
       compare every column of the source row).
    Returns {'mapping': {contract column: file column}, 'problems': [messages], 'extra': [columns],
    'auto': [[file column, contract column], ...] for the columns mapped by synonym}. -#}
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
    {%- set missing_required = [] -%}
    {%- for col, props in spec.items() -%}
        {%- set wanted = user_map.get(col, col) | string -%}
        {%- set wanted_key = raw_name_key(wanted) -%}
        {%- if wanted_key in by_key -%}
            {%- do mapping.update({col: by_key[wanted_key]}) -%}
        {%- elif col in user_map -%}
            {%- do problems.append("Raw file '" ~ file ~ "': var raw_column_map maps " ~ table_name ~ "." ~ col ~ " to column '" ~ wanted ~ "', which the file does not have (expected " ~ props['type'] ~ "). Columns found: " ~ file_columns | join(', ')) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- R3: synonyms for the contract columns still unmatched -#}
    {%- set synonyms = raw_column_synonyms() -%}
    {%- set auto = [] -%}
    {%- for col, props in spec.items() -%}
        {%- if col not in mapping and col not in user_map and col in synonyms -%}
            {%- set keys = synonyms[col] | map('lower') | map('replace', '_', '') | map('replace', ' ', '') | list -%}
            {%- set claims = [] -%}
            {%- for c in file_columns -%}
                {%- if c not in mapping.values() and raw_name_key(c) in keys -%}{%- do claims.append(c) -%}{%- endif -%}
            {%- endfor -%}
            {%- if claims | length == 1 -%}
                {%- do mapping.update({col: claims[0]}) -%}
                {%- do auto.append([claims[0], col]) -%}
            {%- elif claims | length > 1 -%}
                {%- do problems.append("Raw file '" ~ file ~ "': columns " ~ claims | join(' and ') ~ " are both known names for " ~ table_name ~ "." ~ col ~ "; say which one it is with var raw_column_map: {" ~ table_name ~ ": {" ~ col ~ ": <your column>}}") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for col, props in spec.items() -%}
        {%- if col not in mapping and col not in user_map and props['required'] -%}
            {%- do problems.append("Raw file '" ~ file ~ "': required column '" ~ col ~ "' is missing (expected " ~ props['type'] ~ "). Columns found: " ~ file_columns | join(', ') ~ ". If your file names it differently, set var raw_column_map: {" ~ table_name ~ ": {" ~ col ~ ": <your column>}}") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set extra = [] -%}
    {%- for c in file_columns -%}
        {%- if c not in mapping.values() -%}{%- do extra.append(c) -%}{%- endif -%}
    {%- endfor -%}
    {{ return({'mapping': mapping, 'problems': problems, 'extra': extra, 'auto': auto}) }}
{% endmacro %}

{#- The log lines saying how a file's columns were matched (R3): mapped by synonym, and unused. -#}
{% macro raw_column_matching_notes(table_name, matched) %}
    {%- set notes = [] -%}
    {%- for pair in matched.get('auto', []) -%}
        {%- do notes.append("mapped " ~ pair[0] ~ " to " ~ table_name ~ "." ~ pair[1] ~ " (known name; override with var raw_column_map)") -%}
    {%- endfor -%}
    {%- if matched['extra'] -%}
        {%- do notes.append("columns not in the raw contract, kept in the row hash, not used: " ~ matched['extra'] | join(', ')) -%}
    {%- endif -%}
    {{ return(notes) }}
{% endmacro %}

{#- Map contract column -> column name in the file (only those present); a clear error on any problem.
    (The matching is logged once per run by the pre-flight check, validate_inputs.) -#}
{% macro raw_column_mapping(table_name, file) %}
    {%- set matched = raw_column_matching(table_name, file) -%}
    {%- if matched['problems'] -%}
        {{ exceptions.raise_compiler_error(matched['problems'] | join('\n')) }}
    {%- endif -%}
    {{ return(matched['mapping']) }}
{% endmacro %}

{#- Row rule R1: a hash of every column of the source row (mapped or not), in file order. Each
    value is length-prefixed so that no two different rows give the same text; null is 'N'. -#}
{% macro raw_row_hash(file, table_name) %}
    {%- set parts = [] -%}
    {%- for c in raw_file_columns(file, table_name) -%}
        {%- set v = "cast(" ~ raw_identifier(c['name']) ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- do parts.append("coalesce(cast(length(" ~ v ~ ") as " ~ dbt.type_string() ~ ") || ':' || " ~ v ~ ", 'N')") -%}
    {%- endfor -%}
    {{ return(dbt.hash(parts | join(" || '|' || "))) }}
{% endmacro %}

{#- Contract columns present in this table's file, or in any file of its folder (empty when absent). -#}
{% macro raw_columns_present(table_name) %}
    {%- set present = [] -%}
    {%- for file in find_raw_files(table_name) -%}
        {%- for col in raw_column_mapping(table_name, file) if col not in present -%}{%- do present.append(col) -%}{%- endfor -%}
    {%- endfor -%}
    {{ return(present) }}
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

{#- The decimal separator of a table's CSV number columns: {'separator': '.' or ',', 'problem': ''}.
    var raw_decimal_separator: auto (default), '.' or ',' (for every file, or per table as
    {table: separator}). auto samples the file's number columns (the first 10,000 rows): values only
    a decimal comma explains (10,50; 1.151,25; 1.500.000) against values only a decimal point
    explains (10.50; 1,151.25); commas only -> ','; both -> a problem naming examples and the setting;
    otherwise '.'. Values such as 1,500 or 1.500 fit both and decide nothing. Parquet is typed: '.'. -#}
{% macro raw_decimal_separator(table_name, file, mapping) %}
    {%- set setting = var('raw_decimal_separator', 'auto') -%}
    {%- if setting is mapping -%}{%- set setting = setting.get(table_name, 'auto') -%}{%- endif -%}
    {%- set setting = setting | string | trim | lower -%}
    {%- if setting in ('.', ',') -%}{{ return({'separator': setting, 'problem': ''}) }}{%- endif -%}
    {%- set numbers = [] -%}
    {%- for col, props in raw_contract()[table_name]['columns'].items() -%}
        {%- if props['type'] == 'double' and col in mapping -%}{%- do numbers.append(mapping[col]) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not execute or not is_csv_file(file) or not numbers -%}{{ return({'separator': '.', 'problem': ''}) }}{%- endif -%}
    {%- set values = [] -%}
    {%- for c in numbers -%}
        {%- do values.append("select " ~ sql_string(c) ~ " as column_name, " ~ trim_whitespace("cast(" ~ raw_identifier(c) ~ " as " ~ dbt.type_string() ~ ")") ~ " as v from sample") -%}
    {%- endfor -%}
    {%- set comma = "(" ~ regex_matches('v', '^[+-]?([0-9]{1,3}([.][0-9]{3})+|[0-9]+),[0-9]+$') ~ " and not " ~ regex_matches('v', '^[+-]?[0-9]{1,3},[0-9]{3}$')
        ~ ") or " ~ regex_matches('v', '^[+-]?[0-9]{1,3}([.][0-9]{3}){2,}$') -%}
    {%- set point = "(" ~ regex_matches('v', '^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)[.][0-9]+$') ~ " and not " ~ regex_matches('v', '^[+-]?[0-9]{1,3}[.][0-9]{3}$')
        ~ ") or " ~ regex_matches('v', '^[+-]?[0-9]{1,3}(,[0-9]{3}){2,}$') -%}
    {%- set query -%}
        with sample as (select * from {{ raw_reader(file, table_name) }} limit 10000),
        number_values as ({{ values | join(' union all ') }}),
        evidence as (
            select column_name, v, case when {{ comma }} then 'comma' when {{ point }} then 'point' end as kind
            from number_values
        ),
        examples as (
            select kind, column_name, v, row_number() over (partition by kind order by column_name, v) as example_rank
            from (select distinct kind, column_name, v from evidence where kind is not null) as distinct_values
        )
        select
            (select count(*) from evidence where kind = 'comma') as comma_values,
            (select count(*) from evidence where kind = 'point') as point_values,
            kind, column_name, v
        from examples
        where example_rank <= 3
        order by kind, column_name, v
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {%- if result.rows | length == 0 -%}{{ return({'separator': '.', 'problem': ''}) }}{%- endif -%}
    {%- set comma_values = result.rows[0][0] -%}
    {%- set point_values = result.rows[0][1] -%}
    {%- if comma_values > 0 and point_values > 0 -%}
        {%- set examples = [] -%}
        {%- for r in result.rows -%}
            {%- do examples.append(r[3] ~ " = '" ~ r[4] ~ "' (decimal " ~ r[2] ~ ")") -%}
        {%- endfor -%}
        {{ return({'separator': '.', 'problem': "Raw file '" ~ file ~ "': its number columns mix decimal commas (" ~ comma_values ~ " values such as 10,50 or 1.151,25) and decimal points (" ~ point_values ~ " values such as 10.50 or 1,151.25), so the decimal separator cannot be detected; e.g. " ~ examples | join(', ') ~ ". Set var raw_decimal_separator: {" ~ table_name ~ ": ','} (or '.') to say which one the file uses; values that do not fit it are then rejected with a reason"}) }}
    {%- endif -%}
    {%- if comma_values > 0 -%}
        {%- do log("raw " ~ table_name ~ ": " ~ file ~ " writes numbers with a decimal comma (" ~ comma_values ~ " sampled values such as 10,50 or 1.151,25): read as 10.50 and 1151.25 (var raw_decimal_separator: auto)", info=true) -%}
        {{ return({'separator': ',', 'problem': ''}) }}
    {%- endif -%}
    {{ return({'separator': '.', 'problem': ''}) }}
{% endmacro %}

{#- A CSV number written with a decimal comma and '.' thousands (1.151,25) as 1151.25; other text as it is. -#}
{% macro decimal_comma_to_point(identifier) %}
    {%- set v = trim_whitespace("cast(" ~ identifier ~ " as " ~ dbt.type_string() ~ ")") -%}
    {{ return("case when " ~ regex_matches(v, '^[+-]?([0-9]{1,3}([.][0-9]{3})+|[0-9]+)(,[0-9]+)?$')
        ~ " then replace(replace(" ~ v ~ ", '.', ''), ',', '.') else " ~ v ~ " end") }}
{% endmacro %}

{#- The raw rows of a table: the select of each of its files (raw_file_select), one after the other.
    files: the files to read (default: all of them, find_raw_files). In the folder layout every
    contract column is read as text, so files of either format stack and land in one table
    (base_raw__<table>_landed); staging parses text and typed values alike. -#}
{% macro read_raw(table_name, files=none, as_text=none) %}
    {%- set spec = raw_contract()[table_name] -%}
    {#- register lineage to the source (its relation is not queried here) -#}
    {%- set _source = source('raw', table_name) -%}
    {%- set files = (find_raw_files(table_name) if execute else []) if files is none else files -%}
    {%- set as_text = raw_layout(table_name) == 'folder' if as_text is none else as_text -%}
    {%- if not files %}
    select
        cast(null as {{ dbt.type_string() }}) as _raw_file,
        cast(null as {{ dbt.type_bigint() }}) as _raw_row_number,
        cast(null as {{ dbt.type_string() }}) as _raw_row_hash,
        {%- for col, props in spec['columns'].items() %}
        cast(null as {{ dbt.type_string() if as_text else raw_contract_sql_type(props['type']) }}) as {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    {%- for file in files %}
    {{ raw_file_select(table_name, file, as_text) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{#- The rows of one raw file: _raw_file (raw_file_label), _raw_row_number, _raw_row_hash (R1) and
    the contract columns (as text when as_text). -#}
{% macro raw_file_select(table_name, file, as_text=false) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- set mapping = raw_column_mapping(table_name, file) -%}
    {%- set file_types = {} -%}
    {%- for c in raw_file_columns(file, table_name) -%}
        {%- do file_types.update({c['name']: c['type']}) -%}
    {%- endfor %}
    {%- set separator = raw_decimal_separator(table_name, file, mapping) -%}
    {%- if separator['problem'] -%}
        {{ exceptions.raise_compiler_error(separator['problem']) }}
    {%- endif -%}
    {%- set decimal_comma = separator['separator'] == ',' %}
    select
        {{ sql_string(raw_file_label(file)) }} as _raw_file,
        {{ raw_row_number(file) }} as _raw_row_number,
        {{ raw_row_hash(file, table_name) }} as _raw_row_hash,
        {%- for col, props in spec['columns'].items() %}
        {% if col in mapping and props['type'] == 'varchar' -%}
        {%- set value = raw_text_expression(raw_identifier(mapping[col]), file_types[mapping[col]]) -%}
        {%- elif col in mapping and props['type'] == 'double' and decimal_comma -%}
        {%- set value = decimal_comma_to_point(raw_identifier(mapping[col])) -%}
        {%- elif col in mapping -%}
        {%- set value = raw_identifier(mapping[col]) -%}
        {%- else -%}
        {%- set value = "cast(null as " ~ raw_contract_sql_type(props['type']) ~ ")" -%}
        {%- endif -%}
        {{ "cast(" ~ value ~ " as " ~ dbt.type_string() ~ ")" if as_text else value }} as {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ raw_reader(file, table_name) }}
{%- endmacro %}
