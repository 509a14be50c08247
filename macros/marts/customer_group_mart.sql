{#- The customer-group marts, built by one macro: purchasing customers of dim_customer_360 grouped by
    `dimensions`, with the measures of customer_group_measures (shares over all rows, or `within` a
    column such as country_code).

    dimensions:    dim_customer_360 columns to group by, in output order.
    catalog:       optional select (see segment_catalog_rows) listing every group, named like the
                   dimensions, plus display columns: the mart lists every catalogued group, also when
                   empty, and keeps groups missing from the catalogue (sort_order 99).
    catalog_columns: {column: type} of the catalog's display columns, in output order (type string,
                   bigint or double); sort_order is coalesced to 99.
    dimension_type: type of the dimension columns (string or bigint).
    averages:      dim_customer_360 columns averaged per group, as average_<column> (double).
    within:        partition of the shares (none = over every row).
    extra:         optional one-row select cross-joined to every row; extra_columns {column: type}. -#}

{% macro customer_group_mart(
    dimensions,
    catalog=none,
    catalog_columns={},
    dimension_type='string',
    averages=[],
    within=none,
    extra=none,
    extra_columns={}
) -%}
with

customers as (

    select {{ (dimensions + customer_group_columns() + averages) | unique | join(', ') }}
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),
{%- if catalog %}

catalogue as (

    {{ catalog }}

),
{%- endif %}
{%- if extra %}

extra as (

    {{ extra }}

),
{%- endif %}

aggregated as (

    select
        {{ dimensions | join(', ') }},
        {{ customer_group_aggregates() }}
        {%- for column in averages %},
        avg({{ column }}) as average_{{ column }}
        {%- endfor %}
    from customers
    group by {{ dimensions | join(', ') }}

),

final as (

    select
        {%- for column in dimensions %}
        {%- set value = "coalesce(catalogue." ~ column ~ ", aggregated." ~ column ~ ")" if catalog else column %}
        cast({{ value }} as {{ _group_mart_type(dimension_type) }}) as {{ column }},
        {%- endfor %}
        {%- for column, type in catalog_columns.items() %}
        {%- set value = "coalesce(catalogue.sort_order, 99)" if column == 'sort_order' else "catalogue." ~ column %}
        cast({{ value }} as {{ _group_mart_type(type) }}) as {{ column }},
        {%- endfor %}
        {{ customer_group_measures('aggregated', within) }}
        {%- for column in averages %},
        cast(aggregated.average_{{ column }} as {{ type_double() }}) as average_{{ column }}
        {%- endfor %}
        {%- for column, type in extra_columns.items() %},
        cast(extra.{{ column }} as {{ _group_mart_type(type) }}) as {{ column }}
        {%- endfor %}
    from {{ "catalogue" if catalog else "aggregated" }}
    {%- if catalog %}
    full outer join aggregated
        on
            {%- for column in dimensions %}
            {{ 'and ' if not loop.first }}catalogue.{{ column }} = aggregated.{{ column }}
            {%- endfor %}
    {%- endif %}
    {%- if extra %}
    cross join extra
    {%- endif %}

)

select * from final
{%- endmacro %}

{#- The dim_customer_360 columns customer_group_aggregates reads. -#}
{% macro customer_group_columns() -%}
    {{ return(['completed_orders', 'net_revenue']) }}
{%- endmacro %}

{#- Every segment of one type of seed segment_catalog, as a catalog for customer_group_mart: the segment
    renamed to `dimension`, with its sort_order and the requested columns ({output: catalog column}). -#}
{% macro segment_catalog_rows(segment_type, dimension, columns={}) -%}
    select segment as {{ dimension }}, sort_order
        {%- for output, source in columns.items() %}, {{ source }}{{ ' as ' ~ output if output != source }}{% endfor %}
    from {{ ref('segment_catalog') }}
    where segment_type = '{{ segment_type }}'
{%- endmacro %}

{% macro _group_mart_type(name) -%}
    {%- if name == 'bigint' -%}{{ dbt.type_bigint() }}
    {%- elif name == 'double' -%}{{ type_double() }}
    {%- else -%}{{ dbt.type_string() }}
    {%- endif -%}
{%- endmacro %}
