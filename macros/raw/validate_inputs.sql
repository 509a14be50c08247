{#- Pre-flight check of every user input, run as an on-run-start hook of `dbt build` / `dbt run`,
    before any model (and so any mart) is built or replaced.

    It checks the vars and environment variables that reach SQL (config_problems) and every raw
    file: one file per table; the required orders file present, not empty (0 bytes) and with at
    least one data row; CSV files well-formed and in the configured encoding (a full scan that
    records malformed lines instead of failing on the first); every required column present; the
    columns a line-grain orders file needs. All problems are reported together in one error, each
    naming the file, the column and what was expected. Optional files that are absent, empty or
    header-only are noted in the log and treated as absent. -#}
{% macro validate_inputs() %}
    {%- if not execute or invocation_args_dict.get('which') not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set problems = config_problems() + raw_relation_config_problems() + package_ref_problems() -%}
    {%- if not problems -%}
        {%- set problems = raw_input_problems() -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Bad input: the build stopped before any model was built (" ~ problems | length ~ " problem"
            ~ ('s' if problems | length > 1 else '') ~ "):\n  - " ~ problems | join("\n  - ")) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Problems with the raw files (list of messages); logs what each table will be read from. -#}
{% macro raw_input_problems() %}
    {%- set problems = [] -%}
    {%- set usable = {} -%}
    {%- set unreadable = [] -%}
    {%- set contract = raw_contract() -%}
    {%- for table_name, spec in contract.items() -%}
        {%- set listing = raw_file_listing(table_name) -%}
        {%- set files = listing['read'] -%}
        {%- set status = {'state': 'missing', 'file': none, 'files': files, 'ignored': listing['ignored']} -%}
        {%- if listing['ignored'] -%}
            {%- do log("raw " ~ table_name ~ ": not read (the file must be named exactly " ~ raw_file_names(table_name) | join(', ') ~ "): " ~ listing['ignored'] | join(', '), info=true) -%}
        {%- endif -%}
        {%- if listing.get('folder') -%}
            {%- set status = raw_folder_status(table_name, listing) -%}
        {%- elif files | length > 1 -%}
            {%- do status.update({'state': 'ambiguous'}) -%}
        {%- elif files | length == 1 -%}
            {%- do status.update(raw_file_check(table_name, files[0], problems)) -%}
        {%- endif -%}
        {%- if status.get('layout') == 'folder' and status['state'] == 'ok' -%}
            {%- set checked = [] -%}
            {%- for file in status['files'] -%}
                {%- do checked.append(raw_file_check(table_name, file, problems)) -%}
            {%- endfor -%}
            {%- set rows = checked | map(attribute='rows') | map('default', 0) | sum -%}
            {%- set states = checked | map(attribute='state') | list -%}
            {%- do status.update({'state': 'unreadable' if 'unreadable' in states else ('ok' if rows > 0 else 'no_rows'), 'rows': rows,
                'file': table_name ~ "/ (" ~ status['files'] | length ~ " files)"}) -%}
            {%- if status['skipped'] -%}
                {%- do log("raw " ~ table_name ~ ": 0-byte files not read: " ~ status['skipped'] | join(', '), info=true) -%}
            {%- endif -%}
        {%- endif -%}
        {%- set state_problem = raw_file_state_problem(table_name, status) -%}
        {%- if status['state'] in ('ambiguous', 'unreadable') -%}
            {%- do unreadable.append(table_name) -%}
        {%- endif -%}
        {%- if state_problem -%}
            {%- do problems.append(state_problem) -%}
        {%- elif status['state'] in ('empty', 'no_rows') -%}
            {%- do log("raw " ~ table_name ~ ": " ~ status['file'] ~ " is " ~ ("empty (0 bytes)" if status['state'] == 'empty' else "header-only (no data rows)") ~ "; the optional table is treated as absent", info=true) -%}
        {%- endif -%}
        {%- if status['state'] == 'ok' -%}
            {%- set present = [] -%}
            {%- for file in (status['files'] if status.get('layout') == 'folder' else [status['file']]) -%}
                {%- set matched = raw_column_matching(table_name, file) -%}
                {%- do problems.extend(matched['problems']) -%}
                {%- if matched['problems'] and table_name not in unreadable -%}{%- do unreadable.append(table_name) -%}{%- endif -%}
                {%- for col in matched['mapping'] if col not in present -%}{%- do present.append(col) -%}{%- endfor -%}
                {%- for note in raw_column_matching_notes(table_name, matched) -%}
                    {%- do log("raw " ~ table_name ~ ": " ~ (raw_file_label(file) ~ ": " if status.get('layout') == 'folder' else '') ~ note, info=true) -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- do usable.update({table_name: present}) -%}
            {%- do log("raw " ~ table_name ~ ": " ~ status['file'] ~ " (" ~ status['rows'] ~ " rows)", info=true) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- an orders file without amounts builds (row rule R8): money measures are NULL -#}
    {%- set grain = var('orders_grain', 'auto') | string | trim | lower -%}
    {%- set present = usable.get('orders') -%}
    {%- set order_lines_unreadable = 'order_lines' in unreadable -%}
    {#- order grain takes every amount from the order_lines file: without one, revenue would be 0 -#}
    {%- if grain == 'order' and present is not none and 'order_lines' not in usable and not order_lines_unreadable -%}
        {%- do problems.append("var orders_grain is 'order' (one row per order, amounts from the order lines), but no usable order_lines file (order_lines.parquet, .csv or .csv.gz with data rows) was found in " ~ raw_dir() ~ ", so every order would have revenue 0. Add the order_lines file, or set var orders_grain: line (or auto) to read each orders row as a line with its own 'amount' or 'quantity' and 'unit_price'") -%}
    {%- endif -%}
    {#- sampled values: number and date formats the models would not understand -#}
    {%- for table_name in usable if table_name not in unreadable -%}
        {%- do problems.extend(raw_sample_problems(table_name, raw_file_status(table_name)['file'], usable[table_name])) -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}

{#- Check one raw file of a table: {'state': empty | unreadable | no_rows | ok, 'file', 'rows'}; a
    malformed or wrongly encoded CSV file adds its message to problems. -#}
{% macro raw_file_check(table_name, file, problems) %}
    {%- set size = run_query(raw_file_size_sql(file)).columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ return({'state': 'empty', 'file': file, 'rows': 0}) }}
    {%- elif is_csv_file(file) -%}
        {%- set scan = raw_csv_scan(table_name, file) -%}
        {%- if scan['problem'] -%}
            {%- do problems.append(scan['problem']) -%}
            {{ return({'state': 'unreadable', 'file': file, 'rows': 0}) }}
        {%- endif -%}
        {{ return({'state': 'ok' if scan['rows'] > 0 else 'no_rows', 'file': file, 'rows': scan['rows']}) }}
    {%- endif -%}
    {%- set rows = run_query("select count(*) from " ~ raw_reader(file, table_name)).columns[0].values()[0] -%}
    {{ return({'state': 'ok' if rows > 0 else 'no_rows', 'file': file, 'rows': rows}) }}
{% endmacro %}

{#- Problems with the values of a table's number and date columns, found in a sample of its rows
    (the first 10,000) before any model runs (list of messages naming file, column, examples and the
    setting): a decimal separator that cannot be detected (raw_decimal_separator), and a column of
    which most sampled values are not dates (or numbers) in any known format. A column with a few bad
    values is not a problem here: those rows are rejected with a reason by the models. -#}
{% macro raw_sample_problems(table_name, file, present) %}
    {%- set problems = [] -%}
    {%- set separator = raw_decimal_separator(table_name, file, raw_column_mapping(table_name, file)) -%}
    {%- if separator['problem'] -%}
        {{ return([separator['problem']]) }}
    {%- endif -%}
    {%- set spec = raw_contract()[table_name]['columns'] -%}
    {%- set raw_types = raw_column_types(table_name) -%}
    {%- set checks = [] -%}
    {%- for col in present -%}
        {%- set kind = spec[col]['type'] -%}
        {%- set raw_type = raw_types.get(col) -%}
        {%- if kind in ('timestamp', 'date') and raw_type not in raw_direct_cast_types('timestamp') + ['TIMESTAMP WITH TIME ZONE'] -%}
            {%- do checks.append({'column': col, 'kind': 'date', 'parsed': typed_timestamp(raw_identifier(col), raw_type)}) -%}
        {%- elif kind in ('double', 'bigint') and raw_type not in raw_direct_cast_types(kind) -%}
            {%- do checks.append({'column': col, 'kind': 'number', 'parsed': typed_number(raw_identifier(col), raw_contract_sql_type(kind), raw_type)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not checks -%}{{ return([]) }}{%- endif -%}
    {%- set sample = "(select * from (" ~ read_raw(table_name) ~ ") as raw_rows limit 10000) as sample" -%}
    {%- set measures = [] -%}
    {%- for c in checks -%}
        {%- set text = clean_text(raw_identifier(c['column'])) -%}
        {%- do measures.append("count(" ~ text ~ ")") -%}
        {%- do measures.append("count(case when " ~ text ~ " is not null and (" ~ c['parsed'] ~ ") is null then 1 end)") -%}
    {%- endfor -%}
    {%- set counts = run_query("select " ~ measures | join(', ') ~ " from " ~ sample).rows[0] -%}
    {%- for c in checks -%}
        {%- set values = counts[loop.index0 * 2] -%}
        {%- set bad = counts[loop.index0 * 2 + 1] -%}
        {%- if bad > 0 and bad * 2 > values -%}
            {%- set text = clean_text(raw_identifier(c['column'])) -%}
            {%- set examples = run_query("select distinct " ~ text ~ " as v from " ~ sample ~ " where " ~ text ~ " is not null and (" ~ c['parsed'] ~ ") is null order by v limit 3").columns[0].values() | list -%}
            {%- do problems.append(raw_format_problem(table_name, file, c['column'], c['kind'], bad, values, examples)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}

{#- The message for a column whose sampled values are mostly in an unknown format: what they look like
    (YYYYMMDD, epoch seconds, day-first dates, decimal commas, ...) and the setting that reads them. -#}
{% macro raw_format_problem(table_name, file, column, kind, bad, values, examples) %}
    {%- set head = "Raw file '" ~ file ~ "' column '" ~ column ~ "': " ~ bad ~ " of " ~ values ~ " sampled values are not " ~ ('dates' if kind == 'date' else 'numbers') ~ " in any known format (e.g. '" ~ examples | join("', '") ~ "'). " -%}
    {%- set first = examples[0] | string -%}
    {%- if kind == 'date' -%}
        {%- if modules.re.match('^[0-9]{9,10}$', first) -%}
            {%- set hint = "They look like Unix epoch seconds; add epoch_seconds to var raw_timestamp_formats to read them as instants (converted to var reporting_time_zone)" -%}
        {%- elif modules.re.match('^[0-9]{12,13}$', first) -%}
            {%- set hint = "They look like Unix epoch milliseconds, which are not read; convert them to ISO-8601 text (2024-03-15 10:00:00) or to seconds and add epoch_seconds to var raw_timestamp_formats" -%}
        {%- elif modules.re.match('^[0-9]{8}$', first) -%}
            {%- set hint = "Eight digits are read as YYYYMMDD; these are not valid YYYYMMDD dates (day-first DDMMYYYY?): add the format, e.g. '%d%m%Y', to var raw_timestamp_formats" -%}
        {%- elif modules.re.match('^([0-9]{1,2})/([0-9]{1,2})/[0-9]{2,4}', first) and (first.split('/')[0] | int) > 12 -%}
            {%- set hint = "They look like day-first dates (dd/mm/yyyy); add '%d/%m/%Y' (and '%d/%m/%Y %H:%M:%S' if they carry a time) to var raw_timestamp_formats" -%}
        {%- else -%}
            {%- set hint = "Add their strptime format (e.g. '%d/%m/%Y %H:%M') to var raw_timestamp_formats, or map the right column with var raw_column_map: {" ~ table_name ~ ": {" ~ column ~ ": <your column>}}" -%}
        {%- endif -%}
    {%- else -%}
        {%- if modules.re.match('^[+-]?[0-9.]*,[0-9]+$', first) -%}
            {%- set hint = "They look like numbers with a decimal comma; set var raw_decimal_separator: {" ~ table_name ~ ": ','}" -%}
        {%- else -%}
            {%- set hint = "Write them as plain numbers (1151.25), set var raw_decimal_separator if they use a decimal comma, or map the right column with var raw_column_map: {" ~ table_name ~ ": {" ~ column ~ ": <your column>}}" -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(head ~ hint) }}
{% endmacro %}

{#- Scan a whole CSV file as the models will read it, recording malformed lines instead of failing.
    Returns {'rows': data rows parsed, 'problem': a message, or '' when the file is clean}. -#}
{% macro raw_csv_scan(table_name, file) %}
    {{ return(adapter.dispatch('raw_csv_scan', 'customer_intelligence')(table_name, file)) }}
{% endmacro %}

{#- Spark has no rejects table: it counts the rows it reads, and reads malformed lines permissively
    (missing fields as nulls, which staging then rejects or flags); the well-formedness and encoding
    pre-check is DuckDB's. -#}
{% macro spark__raw_csv_scan(table_name, file) %}
    {%- set row_count = run_query("select count(*) from " ~ raw_reader(file, table_name)).columns[0].values()[0] -%}
    {{ return({'rows': row_count, 'problem': ''}) }}
{% endmacro %}

{% macro default__raw_csv_scan(table_name, file) %}
    {%- set rejects = 'ciq_csv_rejects_' ~ table_name -%}
    {%- set options = ", store_rejects = true, rejects_table = " ~ sql_string(rejects) ~ ", rejects_scan = " ~ sql_string(rejects ~ '_scan') -%}
    {%- set encoding = raw_csv_encoding(table_name) -%}
    {%- if encoding in raw_transcoded_encodings() -%}
        {%- set transcoded = raw_transcoded_file(file, encoding) -%}
        {%- if transcoded['problem'] -%}
            {{ return({'rows': 0, 'problem': transcoded['problem']}) }}
        {%- endif -%}
    {%- endif -%}
    {%- set scan_sql -%}
        drop table if exists {{ rejects }};
        drop table if exists {{ rejects }}_scan;
        select count(*) as row_count, max(length(columns(*))) from {{ raw_reader(file, table_name, options) }}
    {%- endset -%}
    {%- set row_count = run_query(scan_sql).columns[0].values()[0] -%}
    {%- set errors_sql -%}
        select
            count(distinct line) over () as error_lines,
            count(distinct case when error_type = 'INVALID ENCODING' then line end) over () as encoding_error_lines,
            line,
            error_type,
            column_name,
            left(csv_line, 120) as csv_line,
            error_message
        from {{ rejects }}
        order by line
        limit 3
    {%- endset -%}
    {%- set errors = run_query(errors_sql) -%}
    {%- if errors.rows | length == 0 -%}
        {{ return({'rows': row_count, 'problem': ''}) }}
    {%- endif -%}
    {%- set first = errors.rows[0] -%}
    {%- set examples = [] -%}
    {%- for e in errors.rows -%}
        {%- do examples.append("line " ~ e[2] ~ ": " ~ e[3] ~ (" in column '" ~ e[4] ~ "'" if e[4] else '') ~ " (" ~ e[6] ~ "): " ~ e[5]) -%}
    {%- endfor -%}
    {%- if first[1] > 0 -%}
        {%- set bom = run_query("select left(hex(content), 4) from read_blob(" ~ raw_path_sql(file) ~ ")").columns[0].values()[0] -%}
        {%- if bom in ('FFFE', 'FEFF') -%}
            {%- set hint = "The file starts with a UTF-16 byte-order mark: set var raw_csv_encoding: {" ~ table_name ~ ": utf-16}" -%}
        {%- elif encoding == 'utf-8' -%}
            {%- set hint = "If the file comes from Excel or Windows (Windows-1252: € – ’), set var raw_csv_encoding: {" ~ table_name ~ ": cp1252}; for ISO-8859-1 use latin-1; UTF-16 is utf-16 (one value for every CSV file, or per table)" -%}
        {%- else -%}
            {%- set hint = "Set var raw_csv_encoding to the file's encoding (utf-8, utf-16, latin-1 or cp1252)" -%}
        {%- endif -%}
        {%- set message = "Raw file '" ~ file ~ "' is not valid " ~ encoding ~ " text: " ~ first[1] ~ " line(s) hold bytes that are not " ~ encoding ~ ", e.g. " ~ examples | join('; ') ~ ". " ~ hint -%}
    {%- else -%}
        {%- set message = "Raw file '" ~ file ~ "' is not a well-formed CSV (expected a header row, then one row per line with the same number of comma-separated fields; fields holding commas, quotes or newlines must be double-quoted): " ~ first[0] ~ " malformed line(s), e.g. " ~ examples | join('; ') -%}
    {%- endif -%}
    {{ return({'rows': row_count, 'problem': message}) }}
{% endmacro %}
