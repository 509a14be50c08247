{#- The measures every customer-group mart shows, defined once.

    customer_group_aggregates(): aggregates over customer-grain rows of dim_customer_360 (purchasing
    customers), to put in a `group by` query.
    customer_group_measures(alias, partition_by): the mart's measure columns from those aggregates
    (relation `alias`, whose values are null after a dense left join); shares are over every row of
    the result, or within `partition_by` (a column list) when given. Without amounts in the data (row
    rule R8: every net_revenue null) the money measures are null; with amounts an empty group shows 0. -#}

{% macro customer_group_aggregates() -%}
    count(*) as customers,
    sum(completed_orders) as completed_orders,
    sum(net_revenue) as net_revenue,
    sum(case when {{ is_repeat_customer('completed_orders') }} then 1 else 0 end) as repeat_customers
{%- endmacro %}

{% macro customer_group_measures(alias, partition_by=none) -%}
    {%- set over = "over (partition by " ~ partition_by ~ ")" if partition_by else "over ()" -%}
    {%- set customers = "coalesce(" ~ alias ~ ".customers, 0)" -%}
    {%- set orders = "coalesce(" ~ alias ~ ".completed_orders, 0)" -%}
    {%- set revenue_or_null = alias ~ ".net_revenue" -%}
    {%- set revenue = "coalesce(" ~ alias ~ ".net_revenue, case when count(" ~ alias ~ ".net_revenue) over () > 0 then 0 end)" -%}
    {%- set repeaters = "coalesce(" ~ alias ~ ".repeat_customers, 0)" -%}
    cast({{ customers }} as {{ dbt.type_bigint() }}) as customers,
    cast(cast({{ customers }} as {{ type_double() }}) / nullif(sum({{ customers }}) {{ over }}, 0) as {{ type_double() }})
        as customer_share,
    cast({{ orders }} as {{ dbt.type_bigint() }}) as completed_orders,
    cast({{ revenue }} as {{ type_double() }}) as net_revenue,
    cast(coalesce({{ revenue_or_null }}, 0) / nullif(sum({{ revenue_or_null }}) {{ over }}, 0) as {{ type_double() }})
        as revenue_share,
    cast({{ revenue_or_null }} / nullif({{ orders }}, 0) as {{ type_double() }}) as average_order_value,
    cast({{ revenue_or_null }} / nullif({{ customers }}, 0) as {{ type_double() }}) as revenue_per_customer,
    cast({{ repeaters }} as {{ dbt.type_bigint() }}) as repeat_customers,
    cast(cast({{ repeaters }} as {{ type_double() }}) / nullif({{ customers }}, 0) as {{ type_double() }})
        as repeat_purchase_rate
{%- endmacro %}

{#- The share columns of a customer-group mart, in the order the analyses show them (one per line,
    indented for a select list in a CTE). -#}
{% macro customer_group_share_columns() -%}
    {{ return(['customers', 'customer_share', 'net_revenue', 'revenue_share', 'revenue_per_customer']
        | join(',\n        ')) }}
{%- endmacro %}

{#- An analysis over one customer-group mart: per group of `dimension` (in sort_order) its share columns
    and `extra` columns (SQL over the mart's columns); only groups with purchasing customers unless
    `purchasing_only` is false. -#}
{% macro customer_group_analysis(mart, dimension, extra=[], purchasing_only=true) -%}
with

groups as (

    select * from {{ ref(mart) }}

),

final as (

    select
        {{ dimension }},
        sort_order,
        {{ customer_group_share_columns() }}
        {%- for column in extra %},
        {{ column }}
        {%- endfor %}
    from groups
    {%- if purchasing_only %}
    where customers > 0
    {%- endif %}

)

select * from final
order by sort_order
{%- endmacro %}
