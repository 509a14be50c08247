-- Seed 000: how are preferred purchase categories distributed, and which bring the revenue? One
-- row per preferred category, most customers first.
with

categories as (

    select * from {{ ref('agg_customers_by_preferred_category') }}

),

final as (

    select
        preferred_category,
        {{ customer_group_share_columns() }},
        average_order_value,
        rank() over (order by customers desc, preferred_category asc) as customer_rank
    from categories

)

select * from final
order by customer_rank
