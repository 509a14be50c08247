{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
-- Load-event grain: one row per raw file version that a build loaded, reloaded (the same name with
-- another size or modification time: its old rows were replaced) or found removed (its rows were
-- removed). Kept across incremental builds; a --full-refresh starts it again from what is loaded.
{%- set tables = raw_contract().keys() | list %}
{%- set log_columns = {
    'source_table': dbt.type_string(), 'file_name': dbt.type_string(), 'size_bytes': dbt.type_bigint(),
    'modified_at': dbt.type_string(), 'row_count': dbt.type_bigint(), 'status': dbt.type_string(),
} %}

with

current_files as (

    {% for table_name in tables -%}
    {{ raw_loaded_files_sql(table_name) }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

{% if is_incremental() -%}
logged as (

    select
        *,
        row_number() over (partition by source_table, file_name order by loaded_at desc) as recency
    from {{ this }}

),

previous as (

    -- the last event of every file still loaded
    select source_table, file_name, size_bytes, modified_at, row_count
    from logged
    where recency = 1 and status <> 'removed'

),
{%- else -%}
previous as (

    select source_table, file_name, size_bytes, modified_at, row_count
    from current_files
    where 1 = 0

),
{%- endif %}

events as (

    select
        current_files.source_table,
        current_files.file_name,
        current_files.size_bytes,
        current_files.modified_at,
        current_files.row_count,
        case when previous.file_name is null then 'loaded' else 'reloaded' end as status
    from current_files
    left join previous
        on
            current_files.source_table = previous.source_table
            and current_files.file_name = previous.file_name
    where
        previous.file_name is null
        or previous.size_bytes <> current_files.size_bytes
        or previous.modified_at <> current_files.modified_at

    union all

    select
        previous.source_table,
        previous.file_name,
        previous.size_bytes,
        previous.modified_at,
        previous.row_count,
        'removed' as status
    from previous
    left join current_files
        on
            previous.source_table = current_files.source_table
            and previous.file_name = current_files.file_name
    where current_files.file_name is null

),

final as (

    select
        {%- for column, column_type in log_columns.items() %}
        cast({{ column }} as {{ column_type }}) as {{ column }},
        {%- endfor %}
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as loaded_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as invocation_id
    from events

)

select * from final
