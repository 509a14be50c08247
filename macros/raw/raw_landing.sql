{#- Raw data that arrives (issue 15.1): a raw table may be a folder of files, <raw dir>/<table>/
    (e.g. orders/2024-12-31.parquet, orders/part-0001.csv), read incrementally.

    - base_raw__<table>_landed (incremental) holds the raw rows of the folder's files as text, each
      with its file (_raw_file), row number in it, and the file's size and modification time. A run
      reads only the files whose (name, size, modification time) it has not loaded yet; before that,
      its pre-hook (raw_landed_prune) deletes the rows of files that changed (a re-sent file: its
      old rows are replaced by the new ones) or are gone (a removed file: its rows are removed).
    - base_raw__<table> reads its rows from there (raw_rows) and applies the row rules to all of
      them as to one file, so that deduplication across files (R1, latest updated_at wins) gives what
      one file with the same rows gives.
    - base_raw__load_log records each file loaded, reloaded or removed (raw_file_versions_sql).
    A single file <table>.parquet|.csv|.csv.gz is read in full by its base model, as before, and
    the landed table stays empty. -#}

{#- The rows the base model of a table reads: its landed rows (folder layout) or its file (read_raw). -#}
{% macro raw_rows(table_name) %}
    {%- set landed = ref('base_raw__' ~ table_name ~ '_landed') -%}
    {%- if raw_layout(table_name) == 'folder' %}
    select _raw_file, _raw_row_number, _raw_row_hash, {{ raw_contract()[table_name]['columns'].keys() | join(', ') }}
    from {{ landed }}
    {%- else -%}
    {{ read_raw(table_name) }}
    {%- endif -%}
{% endmacro %}

{#- The versions of a table's folder files: {'files': [paths], 'stats': {path: {'size', 'modified_at'}}}
    (empty for the single-file layout). -#}
{% macro raw_folder_versions(table_name) %}
    {%- if raw_layout(table_name) != 'folder' -%}{{ return({'files': [], 'stats': {}}) }}{%- endif -%}
    {%- set status = raw_file_status(table_name) -%}
    {{ return({'files': find_raw_files(table_name), 'stats': status.get('stats', {})}) }}
{% endmacro %}

{#- The (file, size, modified_at) rows of a list of files as a SQL values list (names quoted by sql_string). -#}
{% macro raw_file_versions_values(versions) %}
    {%- set rows = [] -%}
    {%- for f in versions['files'] -%}
        {%- set stat = versions['stats'][f] -%}
        {%- do rows.append("(" ~ sql_string(raw_file_label(f)) ~ ", cast(" ~ stat['size'] ~ " as " ~ dbt.type_bigint() ~ "), " ~ sql_string(stat['modified_at']) ~ ")") -%}
    {%- endfor -%}
    {{ return(rows | join(', ')) }}
{% endmacro %}

{#- The body of base_raw__<table>_landed: the rows of the folder files not loaded yet (all of them on
    a full build), with the file's version and the load time. -#}
{% macro raw_landed(table_name) %}
    {%- set versions = raw_folder_versions(table_name) if execute else {'files': [], 'stats': {}} -%}
    {%- set loaded = [] -%}
    {%- if execute and is_incremental() -%}
        {%- for row in run_query("select distinct _raw_file, _raw_file_size, _raw_file_modified_at from " ~ this).rows -%}
            {%- do loaded.append(row[0] ~ '|' ~ row[1] ~ '|' ~ row[2]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set new_files = [] -%}
    {%- for f in versions['files'] -%}
        {%- set stat = versions['stats'][f] -%}
        {%- if (raw_file_label(f) ~ '|' ~ stat['size'] ~ '|' ~ stat['modified_at']) not in loaded -%}
            {%- do new_files.append(f) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if execute and versions['files'] -%}
        {%- do log("raw " ~ table_name ~ ": folder of " ~ versions['files'] | length ~ " files, " ~ new_files | length ~ " new or changed to load", info=true) -%}
    {%- endif %}
with

rows_read as (

    {{ read_raw(table_name, new_files, as_text=true) }}

),

{% if new_files -%}
file_versions as (

    select * from (values {{ raw_file_versions_values({'files': new_files, 'stats': versions['stats']}) }})
        as file_versions (file_name, file_size, file_modified_at)

),
{%- else -%}
file_versions as (

    select
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as {{ dbt.type_bigint() }}) as file_size,
        cast(null as {{ dbt.type_string() }}) as file_modified_at
    where 1 = 0

),
{%- endif %}

final as (

    select
        rows_read.*,
        file_versions.file_size as _raw_file_size,
        file_versions.file_modified_at as _raw_file_modified_at,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _raw_loaded_at
    from rows_read
    inner join file_versions
        on rows_read._raw_file = file_versions.file_name

)

select * from final
{%- endmacro %}

{#- Pre-hook of base_raw__<table>_landed: delete the rows of files that changed or are gone (their
    (name, size, modification time) is not in the folder any more). -#}
{% macro raw_landed_prune(table_name) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set existing = load_relation(this) -%}
    {%- if existing is none or flags.FULL_REFRESH -%}{{ return('') }}{%- endif -%}
    {%- set versions = raw_folder_versions(table_name) -%}
    {%- if not versions['files'] -%}
        {{ return("delete from " ~ this) }}
    {%- endif -%}
    {{ return("delete from " ~ this ~ " where not exists (select 1 from (values " ~ raw_file_versions_values(versions)
        ~ ") as current_files (file_name, file_size, file_modified_at) where current_files.file_name = _raw_file"
        ~ " and current_files.file_size = _raw_file_size and current_files.file_modified_at = _raw_file_modified_at)") }}
{% endmacro %}

{#- The order of raw rows, for tie-breaks ("the later row wins"): by file name, then row within it; the
    files of a folder read as if they were one file in name order (a single file has one name). -#}
{% macro raw_row_order(direction='') -%}
    _raw_file {{ direction }}, _raw_row_number {{ direction }}
{%- endmacro %}

{#- The files of a table as loaded now, for base_raw__load_log: source_table, file_name, size_bytes,
    modified_at, row_count (rows read from the file, whatever the row rules did with them). Folder
    layout: from the landed rows; a single file: its version and the rows of its base model. -#}
{% macro raw_loaded_files_sql(table_name) %}
    {%- set landed = ref('base_raw__' ~ table_name ~ '_landed') -%}
    {%- set base = ref('base_raw__' ~ table_name) -%}
    {%- set files = find_raw_files(table_name) if execute and raw_relation_config(table_name) is none else [] -%}
    {%- if raw_layout(table_name) == 'folder' -%}
        {{ return("select " ~ sql_string(table_name) ~ " as source_table, _raw_file as file_name, max(_raw_file_size) as size_bytes, max(_raw_file_modified_at) as modified_at, count(*) as row_count from " ~ landed ~ " group by _raw_file") }}
    {%- elif files -%}
        {%- set stat = run_query(raw_file_stats_sql(files)).rows[0] -%}
        {{ return("select " ~ sql_string(table_name) ~ " as source_table, " ~ sql_string(raw_file_label(files[0])) ~ " as file_name, cast(" ~ stat[1] ~ " as " ~ dbt.type_bigint() ~ ") as size_bytes, " ~ sql_string(stat[2]) ~ " as modified_at, count(*) as row_count from " ~ base) }}
    {%- endif -%}
    {{ return("select cast(null as " ~ dbt.type_string() ~ ") as source_table, cast(null as " ~ dbt.type_string() ~ ") as file_name, cast(null as " ~ dbt.type_bigint() ~ ") as size_bytes, cast(null as " ~ dbt.type_string() ~ ") as modified_at, cast(null as " ~ dbt.type_bigint() ~ ") as row_count where 1 = 0") }}
{% endmacro %}
