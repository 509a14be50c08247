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
        {%- set files = raw_file_candidates(table_name) -%}
        {%- set status = {'state': 'missing', 'file': none, 'files': files} -%}
        {%- if files | length > 1 -%}
            {%- do status.update({'state': 'ambiguous'}) -%}
        {%- elif files | length == 1 -%}
            {%- set file = files[0] -%}
            {%- do status.update({'file': file}) -%}
            {%- set size = run_query(raw_file_size_sql(file)).columns[0].values()[0] -%}
            {%- if size == 0 -%}
                {%- do status.update({'state': 'empty'}) -%}
            {%- elif is_csv_file(file) -%}
                {%- set scan = raw_csv_scan(table_name, file) -%}
                {%- if scan['problem'] -%}
                    {%- do problems.append(scan['problem']) -%}
                    {%- do status.update({'state': 'unreadable'}) -%}
                {%- else -%}
                    {%- do status.update({'state': 'ok' if scan['rows'] > 0 else 'no_rows', 'rows': scan['rows']}) -%}
                {%- endif -%}
            {%- else -%}
                {%- set rows = run_query("select count(*) from " ~ raw_reader(file, table_name)).columns[0].values()[0] -%}
                {%- do status.update({'state': 'ok' if rows > 0 else 'no_rows', 'rows': rows}) -%}
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
            {%- set matched = raw_column_matching(table_name, status['file']) -%}
            {%- do problems.extend(matched['problems']) -%}
            {%- if matched['problems'] -%}{%- do unreadable.append(table_name) -%}{%- endif -%}
            {%- do usable.update({table_name: matched['mapping'].keys() | list}) -%}
            {%- do log("raw " ~ table_name ~ ": " ~ status['file'] ~ " (" ~ status['rows'] ~ " rows)"
                ~ ("; ignoring columns not in the raw contract: " ~ matched['extra'] | join(', ') if matched['extra'] else ''), info=true) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- an orders file read at line grain needs line values -#}
    {%- set grain = var('orders_grain', 'auto') | string | trim | lower -%}
    {%- set line_grain = grain == 'line' or (grain == 'auto' and 'order_lines' not in usable) -%}
    {%- set present = usable.get('orders') -%}
    {%- set order_lines_unreadable = 'order_lines' in unreadable -%}
    {%- if line_grain and not order_lines_unreadable and present is not none and 'amount' not in present and not ('quantity' in present and 'unit_price' in present) -%}
        {%- do problems.append("Raw orders file has no usable order_lines file beside it, so it is read at line grain and needs an 'amount' column (number) or both 'quantity' and 'unit_price' (numbers). Contract columns found: " ~ present | join(', ')) -%}
    {%- endif -%}
    {{ return(problems) }}
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
    {%- set options = ", store_rejects = true, rejects_table = '" ~ rejects ~ "', rejects_scan = '" ~ rejects ~ "_scan'" -%}
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
        {%- set encoding = raw_csv_encoding(table_name) -%}
        {%- set hint = "If the file is Latin-1 (ISO-8859-1, Windows-1252), set var raw_csv_encoding: {" ~ table_name ~ ": latin-1} (or latin-1 for every CSV file); utf-16 is also supported" if encoding == 'utf-8' else "Set var raw_csv_encoding to the file's encoding (utf-8, latin-1 or utf-16)" -%}
        {%- set message = "Raw file '" ~ file ~ "' is not valid " ~ encoding ~ " text: " ~ first[1] ~ " line(s) hold bytes that are not " ~ encoding ~ ", e.g. " ~ examples | join('; ') ~ ". " ~ hint -%}
    {%- else -%}
        {%- set message = "Raw file '" ~ file ~ "' is not a well-formed CSV (expected a header row, then one row per line with the same number of comma-separated fields; fields holding commas, quotes or newlines must be double-quoted): " ~ first[0] ~ " malformed line(s), e.g. " ~ examples | join('; ') -%}
    {%- endif -%}
    {{ return({'rows': row_count, 'problem': message}) }}
{% endmacro %}
