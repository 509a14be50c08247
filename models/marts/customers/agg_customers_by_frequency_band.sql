-- Order-frequency band grain: one row per band (1, 2-3, 4-5, 6+ completed orders), also when empty,
-- with purchasing customers, shares and revenue.
with

customers as (

    select frequency_band, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

bands as (

    select segment as frequency_band, sort_order
    from {{ ref('segment_catalog') }}
    where segment_type = 'frequency_band'

),

aggregated as (

    select
        frequency_band,
        {{ customer_group_aggregates() }}
    from customers
    group by frequency_band

),

final as (

    select
        cast(coalesce(bands.frequency_band, aggregated.frequency_band) as {{ dbt.type_string() }}) as frequency_band,
        cast(coalesce(bands.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        {{ customer_group_measures('aggregated') }}
    from bands
    full outer join aggregated
        on bands.frequency_band = aggregated.frequency_band

)

select * from final
