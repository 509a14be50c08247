{#- Building blocks of the segment x period marts (fct_active_customers_daily, fct_segment_orders_monthly)
    and of the cohort retention, each written once. -#}

{#- Purchasing customers (at least one completed order) and the date of their first completed order. -#}
{% macro purchaser_first_orders() -%}
    select customer_id, first_order_date
    from {{ ref('int_customer_orders') }}
    where completed_orders > 0
{%- endmacro %}

{#- Every calendar month with a day before the as-of date (month_start). -#}
{% macro months_before_as_of_date() -%}
    select distinct month_start from {{ ref('dim_date') }}
    where date_day < {{ as_of_date() }}
{%- endmacro %}

{#- Two CTEs, `segments` (every segment of the CTE customer_segments) and `spine` (every segment x every
    row of the CTE `periods`, whose period column is `period_column`), so that a segment without activity
    in a period still has its row. -#}
{% macro segment_period_spine(periods, period_column) -%}
segments as (

    select distinct segment_type, segment, segment_sort_order from customer_segments

),

spine as (

    select
        segments.segment_type,
        segments.segment,
        segments.segment_sort_order,
        {{ periods }}.{{ period_column }}
    from segments
    cross join {{ periods }}

)
{%- endmacro %}

{#- The key columns of a segment x period mart, from the spine: the period (a date), the segment type,
    the segment and its display order. -#}
{% macro segment_spine_columns(period_column) -%}
    cast(spine.{{ period_column }} as date) as {{ period_column }},
        cast(spine.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(spine.segment as {{ dbt.type_string() }}) as segment,
        cast(spine.segment_sort_order as {{ dbt.type_bigint() }}) as segment_sort_order
{%- endmacro %}

{#- Join the per segment and period figures of `relation` (period column `relation_period_column`) to
    the spine; a segment without figures in a period keeps its row (nulls). -#}
{% macro join_to_segment_spine(relation, period_column, relation_period_column) -%}
    left join {{ relation }}
        on
            spine.segment_type = {{ relation }}.segment_type
            and spine.segment = {{ relation }}.segment
            and spine.{{ period_column }} = {{ relation }}.{{ relation_period_column }}
{%- endmacro %}

{#- Per segment (of the CTE customer_segments) and period: the sums of the customer-grain rows of
    `relation` (with customer_id and `period_column`); `sums` maps each output column to the summed
    column of `relation`. -#}
{% macro sum_by_segment_and_period(relation, period_column, sums) -%}
    select
        customer_segments.segment_type,
        customer_segments.segment,
        {{ relation }}.{{ period_column }},
        {%- for output, column in sums.items() %}
        sum({{ relation }}.{{ column }}) as {{ output }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    inner join customer_segments
        on {{ relation }}.customer_id = customer_segments.customer_id
    group by
        customer_segments.segment_type,
        customer_segments.segment,
        {{ relation }}.{{ period_column }}
{%- endmacro %}
