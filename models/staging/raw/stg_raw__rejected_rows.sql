-- One row per raw row that could not be used: its table, position in the raw file, key and reason.
-- Nothing is dropped silently: raw rows = staged rows + rejected rows + duplicates removed.
{%- set tables = ['customers', 'orders', 'order_lines', 'products'] %}

with

{% for table_name in tables -%}
{{ table_name }} as (

    select
        '{{ table_name }}' as source_table,
        _raw_file,
        _raw_row_number,
        record_key,
        reject_reason
    from {{ ref('base_raw__' ~ table_name) }}
    where reject_reason is not null

),

{% endfor -%}

final as (

    {% for table_name in tables -%}
    select * from {{ table_name }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from final
