-- Gender grain: one row per gender (Male, Female, Other, Unknown), also when empty, with
-- purchasing customers, revenue and their shares.
with

customers as (

    select gender, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

catalogue as (

    select segment as gender, sort_order
    from {{ ref('segment_catalog') }}
    where segment_type = 'gender'

),

aggregated as (

    select
        gender,
        {{ customer_group_aggregates() }}
    from customers
    group by gender

),

final as (

    select
        cast(coalesce(catalogue.gender, aggregated.gender) as {{ dbt.type_string() }}) as gender,
        cast(coalesce(catalogue.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        {{ customer_group_measures('aggregated') }}
    from catalogue
    full outer join aggregated
        on catalogue.gender = aggregated.gender

)

select * from final
