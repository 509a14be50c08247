{#- Raw tables read from warehouse relations instead of files (issue 18).

    Each raw table of the contract is read either from its file in CIQ_RAW_DIR (the default) or from a
    relation (database.schema.identifier) that an ingestion tool loaded: a schema of an attached DuckDB
    database, a table of the Spark metastore. Only the reader changes: the contract, the column map,
    validation (validate_inputs), quarantine and row accounting are the same for both. Vars:
    - raw_schema (and raw_database): every raw table is read from <raw_database>.<raw_schema>.<table>;
      an optional table that does not exist there counts as absent, like a missing optional file;
    - raw_relations: per table, {database, schema, identifier} (each part optional: raw_database /
      raw_schema / the table's name by default), 'schema.identifier' or 'database.schema.identifier',
      or 'file' to keep reading that table from CIQ_RAW_DIR (file and table sources mix per table).
      A table named here must exist, optional or not.

    In read_raw.sql and validate_inputs.sql a relation travels where a file path would (the "file" of
    a table is then a relation object, not a string), and the reader macros of raw_file_access.sql hand
    such a value to raw_relation_reader / raw_relation_row_number below. -#}

{#- Where a table's relation source is configured: {'database', 'schema', 'identifier', 'explicit'},
    or none when the table is read from its file. Reads vars only (no query). -#}
{% macro raw_relation_config(table_name) %}
    {%- set relations = var('raw_relations', {}) -%}
    {%- set relations = relations if relations is mapping else {} -%}
    {%- set entry = relations.get(table_name) -%}
    {%- set default_database = var('raw_database', '') | string | trim -%}
    {%- set default_schema = var('raw_schema', '') | string | trim -%}
    {%- if entry is string and entry | trim | lower == 'file' -%}
        {{ return(none) }}
    {%- elif entry is string -%}
        {%- set parts = (entry | trim).split('.') -%}
        {%- set config = {'database': parts[-3] if parts | length == 3 else default_database,
                          'schema': parts[-2] if parts | length >= 2 else default_schema,
                          'identifier': parts[-1], 'explicit': true} -%}
    {%- elif entry is mapping -%}
        {%- set config = {'database': (entry.get('database') or default_database) | string | trim,
                          'schema': (entry.get('schema') or default_schema) | string | trim,
                          'identifier': (entry.get('identifier') or table_name) | string | trim, 'explicit': true} -%}
    {%- elif default_schema != '' -%}
        {%- set config = {'database': default_database, 'schema': default_schema, 'identifier': table_name,
                          'explicit': false} -%}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if config['database'] == '' -%}
        {%- do config.update({'database': target.database}) -%}
    {%- endif -%}
    {{ return(config) }}
{% endmacro %}

{#- The configured relation as text (database.schema.identifier), for messages. -#}
{% macro raw_relation_label(config) %}
    {%- set parts = [config['database']] if config['database'] and target.type != 'spark' else [] -%}
    {{ return((parts + [config['schema'], config['identifier']]) | join('.')) }}
{% endmacro %}

{#- Problems with vars raw_database, raw_schema and raw_relations (list of messages; no query). -#}
{% macro raw_relation_config_problems() %}
    {%- set problems = [] -%}
    {%- set contract = raw_contract() -%}
    {%- set relations = var('raw_relations', {}) -%}
    {%- set setting = "var raw_relations: {table: {database: <db>, schema: <schema>, identifier: <name>}} (or 'schema.identifier', or 'file')" -%}
    {%- if relations is not mapping -%}
        {%- do problems.append(setting ~ " must be a mapping, got: " ~ relations) -%}
        {{ return(problems) }}
    {%- endif -%}
    {%- for name in ['raw_database', 'raw_schema'] -%}
        {%- set value = var(name, '') | string | trim -%}
        {%- set reason = unsafe_text_reason(value) if value else '' -%}
        {%- if reason -%}
            {%- do problems.append("var " ~ name ~ " must be a plain " ~ name[4:] ~ " name (or empty), but " ~ reason ~ ": " ~ value) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for table_name, entry in relations.items() -%}
        {%- if table_name not in contract -%}
            {%- do problems.append("var raw_relations names an unknown table '" ~ table_name ~ "' (raw tables: " ~ contract.keys() | join(', ') ~ ")") -%}
        {%- elif entry is string and entry | trim | lower != 'file' and not ((entry | trim).split('.') | length) in (2, 3) -%}
            {%- do problems.append("var raw_relations." ~ table_name ~ " must be 'schema.identifier', 'database.schema.identifier' or 'file', got: '" ~ entry ~ "'") -%}
        {%- elif entry is not string and entry is not mapping -%}
            {%- do problems.append(setting ~ ": the entry for " ~ table_name ~ " must be a mapping or text, got: " ~ entry) -%}
        {%- elif entry is mapping and entry.keys() | reject('in', ['database', 'schema', 'identifier']) | list -%}
            {%- do problems.append("var raw_relations." ~ table_name ~ " may only set database, schema and identifier, got: " ~ entry.keys() | join(', ')) -%}
        {%- else -%}
            {%- set config = raw_relation_config(table_name) -%}
            {%- if config is not none -%}
                {%- for part in ['database', 'schema', 'identifier'] -%}
                    {%- set reason = unsafe_text_reason(config[part] | string) if config[part] or part != 'database' else '' -%}
                    {%- if reason -%}
                        {%- do problems.append("var raw_relations." ~ table_name ~ ": the " ~ part ~ " must be a plain name (set it per table or with var raw_" ~ part ~ "), but " ~ reason ~ ": '" ~ config[part] ~ "'") -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}

{#- The relation a table is read from: a relation object, or none when the table is read from its file
    or its configured relation does not exist. -#}
{% macro raw_source_relation(table_name) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set config = raw_relation_config(table_name) -%}
    {%- if config is none -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=config['database'], schema=config['schema'], identifier=config['identifier'])) }}
{% endmacro %}

{#- The "candidates" of a relation-sourced table for read_raw.sql: [relation] when it exists, else []. -#}
{% macro raw_relation_candidates(table_name) %}
    {%- set relation = raw_source_relation(table_name) -%}
    {{ return([] if relation is none else [relation]) }}
{% endmacro %}

{#- The message for a relation-sourced table that cannot be read as the given state (see
    raw_file_state_problem); empty string when it can, or when an optional table is absent. -#}
{% macro raw_relation_state_problem(table_name, status) %}
    {%- set config = raw_relation_config(table_name) -%}
    {%- set spec = raw_contract()[table_name] -%}
    {%- set label = raw_relation_label(config) -%}
    {%- if status['state'] == 'missing' and (spec['required_file'] or config['explicit']) -%}
        {{ return("Raw table '" ~ table_name ~ "' is " ~ ("required" if spec['required_file'] else "named in var raw_relations")
            ~ " but the relation " ~ label ~ " does not exist (or this connection cannot see it)."
            ~ " Set var raw_relations: {" ~ table_name ~ ": {database: <db>, schema: <schema>, identifier: <name>}}"
            ~ " or vars raw_database / raw_schema to where the table is, or raw_relations: {" ~ table_name ~ ": file} to read it from CIQ_RAW_DIR") }}
    {%- elif status['state'] == 'no_rows' and spec['required_file'] -%}
        {{ return("Raw relation " ~ label ~ " has no rows; the " ~ table_name ~ " table is required: expected at least one row") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- A relation has no byte size: its emptiness is judged by rows (raw_file_status probes one row). -#}
{% macro raw_relation_size_sql(relation) %}
    {{ return("select 1 as size") }}
{% endmacro %}

{#- The table expression reading a raw relation (the one dispatchable reader of a relation source):
    the relation itself, whose columns keep their types like a Parquet file's. -#}
{% macro raw_relation_reader(relation, table_name) %}
    {{ return(adapter.dispatch('raw_relation_reader', 'customer_intelligence')(relation, table_name)) }}
{% endmacro %}

{% macro default__raw_relation_reader(relation, table_name) %}
    {{ return(relation | string) }}
{% endmacro %}

{#- The 0-based position of each row of a raw relation, as an expression over raw_relation_reader:
    what _raw_row_number (row accounting, the latest-row-wins tie-break) is built on. DuckDB: a table's
    rowid (its insertion order, stable between runs); a view's row position. Spark: the order of
    monotonically_increasing_id(), i.e. the order of the table's files and of the rows in them. -#}
{% macro raw_relation_row_number(relation) %}
    {{ return(adapter.dispatch('raw_relation_row_number', 'customer_intelligence')(relation)) }}
{% endmacro %}

{% macro default__raw_relation_row_number(relation) %}
    {{ return('rowid' if relation.is_table else 'row_number() over () - 1') }}
{% endmacro %}

{% macro spark__raw_relation_row_number(relation) %}
    {{ return('row_number() over (order by monotonically_increasing_id()) - 1') }}
{% endmacro %}
