{#- Small, portable cleaning helpers used by the staging models. -#}

{#- Cleaning rule for every raw text value (keys, names, codes, raw values kept for the quarantine):
    1. all leading and trailing whitespace is removed: space, tab, newline, carriage return, vertical
       tab, form feed, no-break space (U+00A0), the Unicode spaces U+2000-U+200B, U+202F, U+205F,
       U+3000, U+1680, U+0085, U+2028/9 and a stray byte-order mark (U+FEFF);
    2. the result is NULL when it is empty or one of the null tokens of var raw_null_tokens (compared
       exactly, case included; default '', NULL, null, N/A, NA, n/a, None, none, -, NaN, nan, #N/A). -#}
{% macro clean_text(column) -%}
    {%- set trimmed = trim_whitespace('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') -%}
    case when {{ is_null_token(trimmed) }} then null else {{ trimmed }} end
{%- endmacro %}

{#- True when a (trimmed) text expression is one of the null tokens (raw_null_tokens_sql). -#}
{% macro is_null_token(expression) -%}
    {{ return(adapter.dispatch('is_null_token', 'customer_intelligence')(expression)) }}
{%- endmacro %}

{% macro default__is_null_token(expression) -%}
    {{ expression }} in ({{ raw_null_tokens_sql() }})
{%- endmacro %}

{#- DuckDB rewrites an IN list of more than a few constants into a hash (mark) join, one per use and
    all in the scan's pipeline, whose tables do not spill: the eight uses of base_raw__orders alone
    held about 30 MB, and the model ran out of memory at a 40 MB limit. list_position() over a list
    literal is a plain function call with the same result (null input: null, so not a token). -#}
{% macro duckdb__is_null_token(expression) -%}
    list_position([{{ raw_null_tokens_sql() }}], {{ expression }}) is not null
{%- endmacro %}

{#- The whitespace code points clean_text removes at both ends. -#}
{% macro whitespace_code_points() -%}
    {{ return([9, 10, 11, 12, 13, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200,
        8201, 8202, 8203, 8232, 8233, 8239, 8287, 12288, 65279]) }}
{%- endmacro %}

{#- An expression without its leading and trailing whitespace (whitespace_code_points). -#}
{% macro trim_whitespace(expression) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'customer_intelligence')(expression)) }}
{%- endmacro %}

{% macro default__trim_whitespace(expression) -%}
    trim({{ expression }})
{%- endmacro %}

{#- DuckDB: trim(text, characters) with the characters built by chr() (constant-folded once). -#}
{% macro duckdb__trim_whitespace(expression) -%}
    trim({{ expression }}, {% for c in whitespace_code_points() %}chr({{ c }}){{ ' || ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Spark: trim(BOTH characters FROM text), the characters as \uXXXX escapes in a string literal. -#}
{% macro spark__trim_whitespace(expression) -%}
    trim(both '{% for c in whitespace_code_points() %}\u{{ '%04X' | format(c) }}{% endfor %}' from {{ expression }})
{%- endmacro %}

{#- The null tokens (var raw_null_tokens, plus the empty string) as a SQL list of string literals. -#}
{% macro raw_null_tokens_sql() -%}
    {%- set tokens = [''] -%}
    {%- set setting = var('raw_null_tokens', ['', 'NULL', 'null', 'N/A', 'NA', 'n/a', 'None', 'none', '-', 'NaN', 'nan', '#N/A']) -%}
    {%- if setting is string or setting is mapping or setting is not iterable -%}
        {%- set setting = [] -%}
    {%- endif -%}
    {%- for t in setting -%}
        {%- if t is not none and (t | string) not in tokens -%}{%- do tokens.append(t | string) -%}{%- endif -%}
    {%- endfor -%}
    {%- set literals = [] -%}
    {%- for t in tokens -%}{%- do literals.append(sql_string(t)) -%}{%- endfor -%}
    {{ return(literals | join(', ')) }}
{%- endmacro %}

{#- True when a text expression matches a regular expression (anywhere; anchor with ^ and $). -#}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'customer_intelligence')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    {{ return("regexp_like(" ~ expression ~ ", " ~ sql_string(pattern) ~ ")") }}
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    {{ return("regexp_matches(" ~ expression ~ ", " ~ sql_string(pattern) ~ ")") }}
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    {{ return("(" ~ expression ~ " rlike " ~ sql_string(pattern) ~ ")") }}
{%- endmacro %}

{#- Lower-cased trimmed text, used as a lookup key into the reference seeds. -#}
{% macro lookup_key(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}

{#- Safe number parse: null when the value is not a number. -#}
{% macro safe_number(column, type='double') -%}
    {{ try_cast(clean_text(column), type) }}
{%- endmacro %}

{#- A cast that yields null instead of failing (dbt.safe_cast is a plain cast on some adapters). -#}
{% macro try_cast(expression, type) -%}
    {{ return(adapter.dispatch('try_cast', 'customer_intelligence')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, type) -%}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro spark__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- Safe timestamp parse of a raw text value; null when it is not a date in a known format.
    - ISO-8601 first (2024-03-15, 2024-03-15 10:00:00, 2024-03-15T10:00:00.5);
    - a time-zone offset or Z after the time (2024-03-15 10:00+02:00, 2024-03-15T08:00:00Z) is
      honoured: the instant is converted to var reporting_time_zone (default UTC) before the value is
      used, so 10:00+02:00 is 08:00 in UTC and its business day is the UTC day (to_reporting_time);
    - a timestamp without an offset is taken as already in the reporting time zone (as it is);
    - eight digits (19970101, as an integer column or text) are YYYYMMDD;
    - then each format of var raw_timestamp_formats, in order; the entry epoch_seconds (off by
      default, since a number is otherwise ambiguous) reads 9-10 digit whole numbers as Unix epoch
      seconds (an instant, converted to the reporting time zone like an offset). -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'customer_intelligence')(column)) }}
{%- endmacro %}

{#- The strptime formats of var raw_timestamp_formats (without the epoch_seconds entry). -#}
{% macro strptime_formats() -%}
    {%- set formats = [] -%}
    {%- for f in var('raw_timestamp_formats') -%}
        {%- if f != 'epoch_seconds' -%}{%- do formats.append(f) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(formats) }}
{%- endmacro %}

{% macro epoch_seconds_enabled() -%}
    {{ return('epoch_seconds' in var('raw_timestamp_formats')) }}
{%- endmacro %}

{#- A text value ends with a time followed by a time-zone offset (Z, +02, +0200, +02:00, -05:30). -#}
{% macro timestamp_offset_pattern() -%}
    {{ return('[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$') }}
{%- endmacro %}

{#- The `when` branches of parse_timestamp for the formats read before the general cast, on every engine:
    a time-zone offset (cast to `offset_type`, then to the reporting time zone), YYYYMMDD (`yyyymmdd`, the
    engine's parse of `text`) and, when enabled, epoch seconds (`epoch_function` of the number). -#}
{% macro timestamp_special_formats(text, offset_type, yyyymmdd, epoch_function) -%}
    when {{ regex_matches(text, timestamp_offset_pattern()) }}
            then {{ to_reporting_time('try_cast(' ~ text ~ ' as ' ~ offset_type ~ ')') }}
        when {{ regex_matches(text, '^[0-9]{8}$') }}
            then {{ yyyymmdd }}
        {%- if epoch_seconds_enabled() %}
        when {{ regex_matches(text, '^[0-9]{9,10}$') }}
            then {{ to_reporting_time(epoch_function ~ '(cast(' ~ text ~ ' as bigint))') }}
        {%- endif %}
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    {{ try_cast(clean_text(column), dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    {%- set text = clean_text(column) -%}
    case
        {{ timestamp_special_formats(text, 'timestamptz', "try_strptime(" ~ text ~ ", '%Y%m%d')", 'to_timestamp') }}
        else coalesce(
            try_cast({{ text }} as timestamp)
            {%- if strptime_formats() %},
            try_strptime({{ text }}, [
                {%- for f in strptime_formats() -%}
                {{ sql_string(f) }}{{ ', ' if not loop.last }}
                {%- endfor -%}
            ])
            {%- endif %}
        )
    end
{%- endmacro %}

{#- Spark has no try_strptime: try_to_timestamp with each format, converted to a Spark datetime pattern.
    The session time zone is UTC (profiles.yml), so an offset-bearing text cast to timestamp is the
    UTC instant, which from_utc_timestamp turns into the reporting time zone. -#}
{% macro spark__parse_timestamp(column) -%}
    {%- set text = clean_text(column) -%}
    case
        {{ timestamp_special_formats(text, 'timestamp', "try_to_timestamp(" ~ text ~ ", 'yyyyMMdd')", 'timestamp_seconds') }}
        else coalesce(
            {#- Spark's cast also takes '2021' or '2021-01'; DuckDB's (and this project's contract) needs a full date -#}
            case
                when {{ text }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$'
                    then try_cast({{ text }} as timestamp)
            end
            {%- for f in strptime_formats() %},
            try_to_timestamp({{ text }}, {{ sql_string(strptime_to_spark_pattern(f)) }})
            {%- endfor %}
        )
    end
{%- endmacro %}

{#- The reporting time zone (var reporting_time_zone, default UTC): the business day of an
    offset-aware timestamp is its date in this zone. -#}
{% macro reporting_time_zone() -%}
    {{ return(var('reporting_time_zone', 'UTC') | string | trim) }}
{%- endmacro %}

{#- An instant (DuckDB TIMESTAMPTZ, Spark TIMESTAMP) as the wall-clock timestamp of the reporting time zone. -#}
{% macro to_reporting_time(expression) -%}
    {{ return(adapter.dispatch('to_reporting_time', 'customer_intelligence')(expression)) }}
{%- endmacro %}

{% macro default__to_reporting_time(expression) -%}
    ({{ expression }}) at time zone {{ sql_string(reporting_time_zone()) }}
{%- endmacro %}

{% macro duckdb__to_reporting_time(expression) -%}
    timezone({{ sql_string(reporting_time_zone()) }}, {{ expression }})
{%- endmacro %}

{% macro spark__to_reporting_time(expression) -%}
    from_utc_timestamp({{ expression }}, {{ sql_string(reporting_time_zone()) }})
{%- endmacro %}

{#- A strptime format (%Y-%m-%d %H:%M:%S) as a Spark datetime pattern (yyyy-M-d H:m:s). Numeric
    fields use one pattern letter so that, like strptime, one or two digits parse; letters outside
    a %-code are quoted literals; an unsupported %-code is a clear error. -#}
{% macro strptime_to_spark_pattern(format) -%}
    {%- set codes = {
        'Y': 'yyyy', 'y': 'yy', 'm': 'M', 'd': 'd', 'H': 'H', 'I': 'h', 'M': 'm', 'S': 's',
        'f': 'SSSSSS', 'p': 'a', 'b': 'MMM', 'B': 'MMMM', 'a': 'EEE', 'A': 'EEEE', 'j': 'D', '%': '%',
    } -%}
    {%- set text = format | string | replace("'", "") | replace('"', '') -%}
    {%- set out = [] -%}
    {%- set state = namespace(escape=false) -%}
    {%- for ch in text -%}
        {%- if state.escape -%}
            {%- if ch not in codes -%}
                {{ exceptions.raise_compiler_error("var raw_timestamp_formats: format code %" ~ ch ~ " in '" ~ text ~ "' has no Spark equivalent; use %Y %y %m %d %H %I %M %S %f %p %b %B %a %A %j") }}
            {%- endif -%}
            {%- do out.append(codes[ch]) -%}
            {%- set state.escape = false -%}
        {%- elif ch == '%' -%}
            {%- set state.escape = true -%}
        {%- elif ch.isalpha() -%}
            {%- do out.append("'" ~ ch ~ "'") -%}
        {%- else -%}
            {%- do out.append(ch) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | join('')) }}
{%- endmacro %}

{#- A literal date from a validated var (YYYY-MM-DD), or a clear error. -#}
{% macro date_literal(value, var_name) -%}
    {%- set text = value | string | trim -%}
    {#- checked when run (at parse time the value is not used), after the on-run-start check reported every bad input -#}
    {%- if not is_valid_date(text) -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a date written YYYY-MM-DD, got: '" ~ text ~ "'") }}
        {%- endif -%}
        {%- set text = '1970-01-01' -%}
    {%- endif -%}
    cast('{{ text }}' as date)
{%- endmacro %}

{#- A validated numeric var, or a clear error. -#}
{% macro number_var(var_name) -%}
    {%- set text = var(var_name) | string | trim -%}
    {%- if not modules.re.match('^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$', text) -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a number, got: '" ~ text ~ "'") }}
        {%- endif -%}
        {%- set text = '0' -%}
    {%- endif -%}
    cast({{ text }} as {{ type_double() }})
{%- endmacro %}

{#- The last valid order date: var max_order_date, or the run's date. -#}
{% macro max_order_date() -%}
    {%- if var('max_order_date') | string | trim -%}
        {{ date_literal(var('max_order_date'), 'max_order_date') }}
    {%- else -%}
        {{ date_literal(run_started_at.strftime('%Y-%m-%d'), 'max_order_date') }}
    {%- endif -%}
{%- endmacro %}

{#- A business key as text, the same rule on every side (customers, orders, order lines, products):
    cleaned as clean_text (whitespace trimmed, null tokens as null); a whole number written as a
    decimal ('1001.0', as pandas writes a float id to CSV) becomes the whole number ('1001'); and,
    with var strip_leading_zeros_in_ids (default true), an id made only of digits loses its leading
    zeros ('00042' = '42'; '0' stays '0'), so ids typed as numbers in one file and zero-padded text
    in another still match. Ids with any other character ('A-0042', '0042X') are kept as written. -#}
{% macro clean_key(column) -%}
    {{ return(adapter.dispatch('clean_key', 'customer_intelligence')(column)) }}
{%- endmacro %}

{% macro strip_leading_zeros_in_ids() -%}
    {%- set setting = var('strip_leading_zeros_in_ids', true) -%}
    {{ return(setting in (true, 'true', 'True', 'yes', 1, '1')) }}
{%- endmacro %}

{% macro default__clean_key(column) -%}
    {%- set whole = "regexp_replace(" ~ clean_text(column) ~ ", '^(-?[0-9]+)\\.0+$', '\\1')" -%}
    {%- if strip_leading_zeros_in_ids() -%}
        regexp_replace({{ whole }}, '^0+([0-9]+)$', '\1')
    {%- else -%}
        {{ whole }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__clean_key(column) -%}
    {%- set whole = "regexp_replace(" ~ clean_text(column) ~ ", '^(-?[0-9]+)\\\\.0+$', '$1')" -%}
    {%- if strip_leading_zeros_in_ids() -%}
        regexp_replace({{ whole }}, '^0+([0-9]+)$', '$1')
    {%- else -%}
        {{ whole }}
    {%- endif -%}
{%- endmacro %}
