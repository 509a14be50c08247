-- Seed 001 (behavioural trends): which months of the year bring the most revenue (seasonal
-- patterns)? One row per calendar month, ranked by average daily revenue (months differ in length
-- and in how many years they cover).
with

months as (

    select * from {{ ref('agg_revenue_by_month_of_year') }}

),

final as (

    select
        month_number,
        month_name,
        completed_orders,
        net_revenue,
        revenue_share,
        average_daily_revenue,
        average_daily_revenue / nullif(avg(average_daily_revenue) over (), 0) as index_to_average_month,
        rank() over (order by average_daily_revenue desc, month_number asc) as revenue_rank
    from months

)

select * from final
order by month_number
