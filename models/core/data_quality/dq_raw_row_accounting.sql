-- One row per raw table: where every raw row went (staged, rejected, removed as an exact duplicate,
-- superseded by a later version), and how many kept rows each flagging row rule touched.
{%- set tables = ['customers', 'orders', 'order_lines', 'products'] %}
{%- set flags = {
    'exact_duplicate_kept_rows': ['exact_duplicate'],
    'outlier_rows': ['outlier_quantity', 'outlier_unit_price', 'outlier_amount'],
    'zero_quantity_rows': ['zero_quantity'],
    'zero_price_rows': ['zero_price'],
    'return_rows': ['return'],
    'credit_note_rows': ['credit_note'],
    'unmatched_original_order_rows': ['unmatched_original_order'],
} %}

with

{% for table_name in tables -%}
{{ table_name }} as (

    select
        '{{ table_name }}' as source_table,
        count(*) as raw_rows,
        sum(case when reject_reason is null and dedup_rank = 1 then 1 else 0 end) as staged_rows,
        sum(case when reject_reason is not null then 1 else 0 end) as rejected_rows,
        {%- for column, codes in flags.items() %}
        {%- set conditions = [] %}
        {%- for code in codes %}{% do conditions.append(has_flag('dq_flags', code)) %}{% endfor %}
        sum(case when reject_reason is null and dedup_rank = 1 and ({{ conditions | join(' or ') }}) then 1 else 0 end)
            as {{ column }},
        {%- endfor %}
        sum(case when reject_reason is null and drop_reason = 'duplicate' then 1 else 0 end) as duplicate_rows,
        sum(case when reject_reason is null and drop_reason = 'superseded_version' then 1 else 0 end)
            as superseded_rows
    from {{ ref('base_raw__' ~ table_name) }}

),

{% endfor -%}

unioned as (

    {% for table_name in tables -%}
    select * from {{ table_name }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

final as (

    select
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(coalesce(staged_rows, 0) as {{ dbt.type_bigint() }}) as staged_rows,
        cast(coalesce(rejected_rows, 0) as {{ dbt.type_bigint() }}) as rejected_rows,
        cast(coalesce(duplicate_rows, 0) as {{ dbt.type_bigint() }}) as duplicate_rows,
        cast(coalesce(superseded_rows, 0) as {{ dbt.type_bigint() }}) as superseded_rows,
        {%- for column in flags %}
        cast(coalesce({{ column }}, 0) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        cast(
            case when raw_rows > 0 then 1.0 * coalesce(rejected_rows, 0) / raw_rows else 0 end
            as {{ type_double() }}
        ) as rejected_share
    from unioned

)

select * from final
