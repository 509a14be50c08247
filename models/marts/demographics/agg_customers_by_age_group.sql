-- Age-group grain: one row per age group at the as-of date (under 18, 18-30, 31-40, 41-50, 51-60,
-- 61-70, 71+, unknown), also when empty, with purchasing customers, revenue and their shares.
with

customers as (

    select age_group, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

catalogue as (

    select segment as age_group, sort_order
    from {{ ref('segment_catalog') }}
    where segment_type = 'age_group'

),

aggregated as (

    select
        age_group,
        {{ customer_group_aggregates() }}
    from customers
    group by age_group

),

final as (

    select
        cast(coalesce(catalogue.age_group, aggregated.age_group) as {{ dbt.type_string() }}) as age_group,
        cast(coalesce(catalogue.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        {{ customer_group_measures('aggregated') }}
    from catalogue
    full outer join aggregated
        on catalogue.age_group = aggregated.age_group

)

select * from final
