{#- Portable date spine: one row per day from start_date to end_date inclusive (SQL expressions),
    built from a cross join of digits (up to 100,000 days), no package needed. -#}
{% macro date_spine(start_date, end_date) -%}
    with digits as (
        select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
        union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
    ),

    numbers as (
        select d1.d + 10 * d2.d + 100 * d3.d + 1000 * d4.d + 10000 * d5.d as n
        from digits as d1
        cross join digits as d2
        cross join digits as d3
        cross join digits as d4
        cross join digits as d5
    )

    select cast({{ dbt.dateadd('day', 'n', start_date) }} as date) as date_day
    from numbers
    where n <= {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
