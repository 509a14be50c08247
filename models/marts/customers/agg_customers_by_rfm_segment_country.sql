-- RFM segment x country grain: one row per RFM segment and customer country (ZZ = unknown) that
-- has purchasing customers, with customers, revenue, AOV and repeat purchase rate. Shares are
-- within the country.
with

customers as (

    select rfm_segment, country_code, country_name, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

aggregated as (

    select
        rfm_segment,
        country_code,
        country_name,
        {{ customer_group_aggregates() }}
    from customers
    group by rfm_segment, country_code, country_name

),

final as (

    select
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        {{ customer_group_measures('aggregated', 'country_code') }}
    from aggregated

)

select * from final
