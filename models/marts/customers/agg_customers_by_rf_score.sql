-- Recency-score x frequency-score grain: the 25 cells of the RFM grid (R 1-5 x F 1-5), also when
-- empty, with the segment each cell maps to and its purchasing customers and revenue.
with

customers as (

    select recency_score, frequency_score, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

grid as (

    select r_score, f_score, rfm_segment from {{ ref('rfm_segments') }}

),

aggregated as (

    select
        recency_score,
        frequency_score,
        {{ customer_group_aggregates() }}
    from customers
    group by recency_score, frequency_score

),

final as (

    select
        cast(grid.r_score as {{ dbt.type_bigint() }}) as recency_score,
        cast(grid.f_score as {{ dbt.type_bigint() }}) as frequency_score,
        cast(grid.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        {{ customer_group_measures('aggregated') }}
    from grid
    left join aggregated
        on
            grid.r_score = aggregated.recency_score
            and grid.f_score = aggregated.frequency_score

)

select * from final
