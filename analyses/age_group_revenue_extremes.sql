-- Seed 003: which age group generates the most revenue, and which the least?
-- One row per age group with purchasing customers (the 'unknown' group is listed but never ranked
-- as most or least), ranked by net revenue.
with

age_groups as (

    select * from {{ ref('agg_customers_by_age_group') }}
    where customers > 0

),

ranked as (

    select
        {{ customer_group_share_columns() }},
        age_group,
        sort_order,
        age_group != 'unknown' as is_ranked,
        rank() over (
            partition by age_group != 'unknown'
            order by net_revenue desc, sort_order asc
        ) as revenue_rank,
        rank() over (
            partition by age_group != 'unknown'
            order by net_revenue asc, sort_order desc
        ) as reverse_revenue_rank
    from age_groups

),

final as (

    select
        age_group,
        sort_order,
        {{ customer_group_share_columns() }},
        case when is_ranked then revenue_rank end as revenue_rank,
        is_ranked and revenue_rank = 1 as is_most_revenue,
        is_ranked and reverse_revenue_rank = 1 as is_least_revenue
    from ranked

)

select * from final
order by sort_order
