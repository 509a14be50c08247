{#- Validation of user-supplied values (vars, environment) before they reach SQL.
    Each *_problem macro returns a message naming the var and what was expected, or '' when the
    value is fine; validate_inputs() collects them all and stops the run with one clear error. -#}

{#- True for a real calendar date written YYYY-MM-DD. -#}
{% macro is_valid_date(text) %}
    {%- set m = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})$', text | string | trim) -%}
    {%- if not m -%}{{ return(false) }}{%- endif -%}
    {%- set year = m.group(1) | int -%}
    {%- set month = m.group(2) | int -%}
    {%- set day = m.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]) }}
{% endmacro %}

{#- A date var: YYYY-MM-DD (or empty when allowed). -#}
{% macro date_var_problem(var_name, allow_empty=true) %}
    {%- set text = var(var_name, '') | string | trim -%}
    {%- if text == '' and allow_empty -%}{{ return('') }}{%- endif -%}
    {%- if not is_valid_date(text) -%}
        {{ return("var " ~ var_name ~ " must be a date written YYYY-MM-DD" ~ (" (or empty)" if allow_empty else "") ~ ", got: '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- A numeric var, optionally a whole number, within [min_value, max_value]. -#}
{% macro number_var_problem(var_name, min_value=none, max_value=none, integer=false) %}
    {%- set text = var(var_name) | string | trim -%}
    {%- set pattern = '^[0-9]+$' if integer else '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' -%}
    {%- set kind = 'a whole number' if integer else 'a number' -%}
    {%- set bounds = [] -%}
    {%- if min_value is not none -%}{%- do bounds.append('>= ' ~ min_value) -%}{%- endif -%}
    {%- if max_value is not none -%}{%- do bounds.append('<= ' ~ max_value) -%}{%- endif -%}
    {%- set expected = kind ~ ((' ' ~ bounds | join(' and ')) if bounds else '') -%}
    {%- if not modules.re.match(pattern, text) -%}
        {{ return("var " ~ var_name ~ " must be " ~ expected ~ ", got: '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set value = text | float -%}
    {%- if (min_value is not none and value < min_value) or (max_value is not none and value > max_value) -%}
        {{ return("var " ~ var_name ~ " must be " ~ expected ~ ", got: '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- A name (column name, format) that is safe to place in a SQL literal or quoted identifier. -#}
{% macro unsafe_text_reason(value) %}
    {%- if value is not string -%}{{ return('it is not text') }}{%- endif -%}
    {%- if value | trim == '' -%}{{ return('it is empty') }}{%- endif -%}
    {%- if value | length > 255 -%}{{ return('it is longer than 255 characters') }}{%- endif -%}
    {%- if modules.re.search("['\"\\\\`;\\x00-\\x1f]", value) -%}
        {{ return('it contains a quote, backslash, backtick, semicolon or control character') }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Every problem with the vars and environment variables that reach SQL (list of messages). -#}
{% macro config_problems() %}
    {%- set problems = [] -%}
    {%- set contract = raw_contract() -%}

    {#- environment -#}
    {%- set raw_dir_message = raw_dir_problem(env_var('CIQ_RAW_DIR', 'data/raw') | replace('\\', '/')) -%}
    {%- if raw_dir_message -%}{%- do problems.append(raw_dir_message) -%}{%- endif -%}
    {%- if env_var('CIQ_RAW_FORMAT', 'parquet') | lower not in ('parquet', 'csv') -%}
        {%- do problems.append("CIQ_RAW_FORMAT (used by dbt source freshness) must be parquet or csv, got: " ~ env_var('CIQ_RAW_FORMAT', 'parquet')) -%}
    {%- endif -%}

    {#- dates -#}
    {%- for name, allow_empty in [('as_of_date', true), ('min_order_date', false), ('max_order_date', true)] -%}
        {%- set message = date_var_problem(name, allow_empty) -%}
        {%- if message -%}{%- do problems.append(message) -%}{%- endif -%}
    {%- endfor -%}
    {%- set min_date = var('min_order_date', '') | string | trim -%}
    {%- set max_date = var('max_order_date', '') | string | trim -%}
    {%- if is_valid_date(min_date) and is_valid_date(max_date) and min_date >= max_date -%}
        {%- do problems.append("var min_order_date (" ~ min_date ~ ") must be before var max_order_date (" ~ max_date ~ ")") -%}
    {%- endif -%}

    {#- numbers -#}
    {%- set numbers = [
        ('max_quantity', 0, none, false),
        ('max_unit_price', 0, none, false),
        ('rejected_share_warn', 0, 1, false),
        ('rejected_share_error', 0, 1, false),
        ('rejected_share_min_rows', 0, none, true),
        ('anomaly_trailing_days', 2, 366, true),
        ('anomaly_stddevs', 0, none, false),
        ('anomaly_max_drop', 0, 1, false),
        ('anomaly_max_rise', 0, none, false),
        ('anomaly_min_daily_orders', 0, none, false),
    ] -%}
    {%- for name, low, high, integer in numbers -%}
        {%- set message = number_var_problem(name, low, high, integer) -%}
        {%- if message -%}{%- do problems.append(message) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not number_var_problem('rejected_share_warn', 0, 1) and not number_var_problem('rejected_share_error', 0, 1)
        and (var('rejected_share_warn') | float) > (var('rejected_share_error') | float) -%}
        {%- do problems.append("var rejected_share_warn (" ~ var('rejected_share_warn') ~ ") must not exceed var rejected_share_error (" ~ var('rejected_share_error') ~ ")") -%}
    {%- endif -%}

    {#- choices -#}
    {%- set grain = var('orders_grain', 'auto') | string | trim | lower -%}
    {%- if grain not in ('auto', 'order', 'line') -%}
        {%- do problems.append("var orders_grain must be one of auto, order, line; got: '" ~ var('orders_grain') ~ "'") -%}
    {%- endif -%}
    {#- row rules (README "Row rules") -#}
    {%- if (var('exact_duplicate_rows', 'auto') | string | trim | lower) not in ('auto', 'drop', 'keep') -%}
        {%- do problems.append("var exact_duplicate_rows must be one of auto, drop, keep; got: '" ~ var('exact_duplicate_rows') ~ "'") -%}
    {%- endif -%}
    {%- set prefix = var('credit_note_prefix', 'C') | string | trim -%}
    {%- if prefix and not modules.re.match('^[A-Za-z0-9_-]+$', prefix) -%}
        {%- do problems.append("var credit_note_prefix must be letters, digits, '-' or '_' (empty = no credit notes); got: '" ~ prefix ~ "'") -%}
    {%- endif -%}
    {%- set encoding = var('raw_csv_encoding', 'utf-8') -%}
    {%- set encodings = encoding.items() | list if encoding is mapping else [('every file', encoding)] -%}
    {%- for table_name, value in encodings -%}
        {%- if table_name != 'every file' and table_name not in contract -%}
            {%- do problems.append("var raw_csv_encoding names an unknown table '" ~ table_name ~ "' (raw tables: " ~ contract.keys() | join(', ') ~ ")") -%}
        {%- endif -%}
        {%- set normalised = value | string | trim | lower | replace('_', '-') -%}
        {%- set normalised = raw_csv_encoding_aliases().get(normalised, normalised) -%}
        {%- if normalised not in ('utf-8', 'latin-1', 'utf-16', 'cp1252') -%}
            {%- do problems.append("var raw_csv_encoding must be utf-8, utf-16, latin-1 or cp1252 (Windows-1252) (for every file, or per table as {table: encoding}); got for " ~ table_name ~ ": '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- column names mapped by the user -#}
    {%- set column_map = var('raw_column_map', {}) -%}
    {%- if column_map is not mapping -%}
        {%- do problems.append("var raw_column_map must be a mapping {table: {contract_column: your_column}}, got: " ~ column_map) -%}
    {%- else -%}
        {%- for table_name, columns in column_map.items() -%}
            {%- if table_name not in contract -%}
                {%- do problems.append("var raw_column_map names an unknown table '" ~ table_name ~ "' (raw tables: " ~ contract.keys() | join(', ') ~ ")") -%}
            {%- elif columns is not mapping -%}
                {%- do problems.append("var raw_column_map." ~ table_name ~ " must be a mapping {contract_column: your_column}, got: " ~ columns) -%}
            {%- else -%}
                {%- for col, name in columns.items() -%}
                    {%- set reason = unsafe_text_reason(name) -%}
                    {%- if col not in contract[table_name]['columns'] -%}
                        {%- do problems.append("var raw_column_map." ~ table_name ~ " names an unknown contract column '" ~ col ~ "' (columns of " ~ table_name ~ ": " ~ contract[table_name]['columns'].keys() | join(', ') ~ ")") -%}
                    {%- elif reason -%}
                        {%- do problems.append("var raw_column_map." ~ table_name ~ "." ~ col ~ " must be a plain column name, but " ~ reason ~ ": " ~ name) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {#- timestamp formats -#}
    {%- set formats = var('raw_timestamp_formats', []) -%}
    {%- if formats is string or formats is mapping or formats is not iterable or formats | length == 0 -%}
        {%- do problems.append("var raw_timestamp_formats must be a non-empty list of strptime formats such as ['%Y-%m-%d %H:%M:%S'], got: " ~ formats) -%}
    {%- else -%}
        {%- for f in formats -%}
            {%- set reason = unsafe_text_reason(f) -%}
            {%- if reason -%}
                {%- do problems.append("var raw_timestamp_formats: format " ~ loop.index ~ " must be a plain strptime format, but " ~ reason ~ ": " ~ f) -%}
            {%- elif '%' not in f and f != 'epoch_seconds' -%}
                {%- do problems.append("var raw_timestamp_formats: format " ~ loop.index ~ " has no % directive (expected e.g. %Y-%m-%d): " ~ f) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {#- Python-model options, checked here so that a bad value stops the build before any model runs -#}
    {%- for name, low, high, allow_empty in [('segment_k', 2, 12, true), ('churn_horizon_days', 7, 365, false), ('ml_random_state', 0, 2147483647, false), ('ml_refit_days', 1, 3650, false), ('ml_drift_percent', 1, 1000, false)] -%}
        {%- set text = var(name, '') | string | trim -%}
        {%- if not (allow_empty and text in ('', 'none', 'None', 'null')) and not (modules.re.match('^[0-9]+$', text) and low <= (text | int) <= high) -%}
            {%- do problems.append("var " ~ name ~ " must be a whole number from " ~ low ~ " to " ~ high ~ (" or empty" ~ (" (chosen by silhouette)" if name == 'segment_k' else '') if allow_empty else '') ~ ", got: '" ~ text ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- raw value cleaning (macros/utils/cleaning.sql) -#}
    {%- set tokens = var('raw_null_tokens', []) -%}
    {%- if tokens is string or tokens is mapping or tokens is not iterable -%}
        {%- do problems.append("var raw_null_tokens must be a list of texts read as NULL in raw keys and texts, such as ['', 'NULL', 'N/A'], got: " ~ tokens) -%}
    {%- endif -%}
    {%- if var('ml_force_refit', false) not in (true, false, 'true', 'false', 'True', 'False') -%}
        {%- do problems.append("var ml_force_refit must be true or false, got: '" ~ var('ml_force_refit') ~ "'") -%}
    {%- endif -%}
    {%- if var('strip_leading_zeros_in_ids', true) not in (true, false, 'true', 'false', 'True', 'False') -%}
        {%- do problems.append("var strip_leading_zeros_in_ids must be true or false, got: '" ~ var('strip_leading_zeros_in_ids') ~ "'") -%}
    {%- endif -%}
    {%- set separators = var('raw_decimal_separator', 'auto') -%}
    {%- set separators = separators.items() | list if separators is mapping else [('every file', separators)] -%}
    {%- for table_name, value in separators -%}
        {%- if table_name != 'every file' and table_name not in contract -%}
            {%- do problems.append("var raw_decimal_separator names an unknown table '" ~ table_name ~ "' (raw tables: " ~ contract.keys() | join(', ') ~ ")") -%}
        {%- elif (value | string | trim | lower) not in ('auto', '.', ',') -%}
            {%- do problems.append("var raw_decimal_separator must be auto, '.' or ',' (for every file, or per table as {table: separator}); got for " ~ table_name ~ ": '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- the reporting time zone (business day of offset-aware timestamps) -#}
    {%- set zone = reporting_time_zone() -%}
    {%- set reason = unsafe_text_reason(zone) -%}
    {%- if reason -%}
        {%- do problems.append("var reporting_time_zone must be a time zone name such as UTC or Europe/Paris, but " ~ reason ~ ": " ~ zone) -%}
    {%- elif not time_zone_exists(zone) -%}
        {%- do problems.append("var reporting_time_zone: unknown time zone '" ~ zone ~ "'; use an IANA name such as UTC, Europe/Paris or America/New_York") -%}
    {%- endif -%}
    {{ return(problems) }}
{% endmacro %}

{#- True when the engine knows the time zone name (Spark: not checked here). -#}
{% macro time_zone_exists(zone) %}
    {{ return(adapter.dispatch('time_zone_exists', 'customer_intelligence')(zone)) }}
{% endmacro %}

{% macro default__time_zone_exists(zone) %}
    {{ return(true) }}
{% endmacro %}

{% macro duckdb__time_zone_exists(zone) %}
    {{ return(run_query("select count(*) from pg_timezone_names() where name = " ~ sql_string(zone)).columns[0].values()[0] > 0) }}
{% endmacro %}
