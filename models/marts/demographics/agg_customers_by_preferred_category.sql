-- Preferred-category grain: one row per product category that is the preferred category (top
-- category by net revenue) of at least one purchasing customer, with customers, revenue and shares.
with

customers as (

    select preferred_category, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

aggregated as (

    select
        preferred_category,
        {{ customer_group_aggregates() }}
    from customers
    group by preferred_category

),

final as (

    select
        cast(preferred_category as {{ dbt.type_string() }}) as preferred_category,
        {{ customer_group_measures('aggregated') }}
    from aggregated

)

select * from final
