{{ config(materialized='table') }}
-- One row: the date every customer figure is computed as of.
-- var as_of_date (YYYY-MM-DD), or by default the day after the last valid order date.
-- A table, not a view: every as_of_date() use would otherwise rescan all orders.
{%- set default_as_of = "coalesce(cast(" ~ dbt.dateadd('day', 1, 'last_order_date') ~ " as date), " ~ max_order_date() ~ ")" %}
{%- set as_of_expression = date_literal(var('as_of_date'), 'as_of_date') if var('as_of_date') | string | trim else default_as_of %}

with

orders as (

    select order_ts from {{ ref('stg_raw__orders') }}

),

-- an aggregate without group by: exactly one row, also when the as-of date comes from the var
order_dates as (

    select max(cast(order_ts as date)) as last_order_date
    from orders

),

final as (

    select {{ as_of_expression }} as as_of_date
    from order_dates

)

select * from final
