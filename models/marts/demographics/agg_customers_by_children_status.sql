-- Children-status grain: one row per With children / Without children / Unknown, also when empty,
-- with purchasing customers, revenue and their shares (the family-structure revenue split).
with

customers as (

    select children_status, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

catalogue as (

    select segment as children_status, sort_order
    from {{ ref('segment_catalog') }}
    where segment_type = 'children_status'

),

aggregated as (

    select
        children_status,
        {{ customer_group_aggregates() }}
    from customers
    group by children_status

),

final as (

    select
        cast(coalesce(catalogue.children_status, aggregated.children_status) as {{ dbt.type_string() }}) as children_status,
        cast(coalesce(catalogue.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        {{ customer_group_measures('aggregated') }}
    from catalogue
    full outer join aggregated
        on catalogue.children_status = aggregated.children_status

)

select * from final
