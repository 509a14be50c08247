-- One row: the date every customer figure is computed as of.
-- var as_of_date (YYYY-MM-DD), or by default the day after the last valid order date.
with

orders as (

    select order_ts from {{ ref('stg_raw__orders') }}

),

final as (

    select
        {% if var('as_of_date') | string | trim -%}
        {{ date_literal(var('as_of_date'), 'as_of_date') }} as as_of_date
        {%- else -%}
        coalesce(
            cast({{ dbt.dateadd('day', 1, 'max(cast(order_ts as date))') }} as date),
            {{ max_order_date() }}
        ) as as_of_date
        {%- endif %}
    from orders

)

select * from final
