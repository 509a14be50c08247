-- RFM-segment grain: one row per named RFM segment (Champions ... Hibernating), also when empty,
-- with purchasing customers, shares, revenue and the segment's average recency, frequency and scores.
with

customers as (

    select
        rfm_segment,
        recency_days,
        completed_orders,
        net_revenue,
        recency_score,
        frequency_score,
        monetary_score
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

segments as (

    select segment as rfm_segment, sort_order, description
    from {{ ref('segment_catalog') }}
    where segment_type = 'rfm_segment'

),

aggregated as (

    select
        rfm_segment,
        {{ customer_group_aggregates() }},
        avg(recency_days) as average_recency_days,
        avg(recency_score) as average_recency_score,
        avg(frequency_score) as average_frequency_score,
        avg(monetary_score) as average_monetary_score
    from customers
    group by rfm_segment

),

final as (

    select
        cast(coalesce(segments.rfm_segment, aggregated.rfm_segment) as {{ dbt.type_string() }}) as rfm_segment,
        cast(coalesce(segments.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        cast(segments.description as {{ dbt.type_string() }}) as description,
        {{ customer_group_measures('aggregated') }},
        cast(aggregated.average_recency_days as {{ type_double() }}) as average_recency_days,
        cast(aggregated.average_recency_score as {{ type_double() }}) as average_recency_score,
        cast(aggregated.average_frequency_score as {{ type_double() }}) as average_frequency_score,
        cast(aggregated.average_monetary_score as {{ type_double() }}) as average_monetary_score
    from segments
    full outer join aggregated
        on segments.rfm_segment = aggregated.rfm_segment

)

select * from final
