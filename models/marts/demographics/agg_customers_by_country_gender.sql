-- Country x gender grain: one row per customer country (ZZ = unknown) and gender that has
-- purchasing customers, with customers and revenue. Shares are within the country (the gender
-- split of each country's customers and revenue).
with

customers as (

    select country_code, country_name, gender, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

aggregated as (

    select
        country_code,
        country_name,
        gender,
        {{ customer_group_aggregates() }}
    from customers
    group by country_code, country_name, gender

),

final as (

    select
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(gender as {{ dbt.type_string() }}) as gender,
        {{ customer_group_measures('aggregated', 'country_code') }}
    from aggregated

)

select * from final
