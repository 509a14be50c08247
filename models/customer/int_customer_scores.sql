-- Purchasing-customer grain (at least one completed order before the as-of date): R, F and M
-- quintile scores 1-5 and the spending score 1-100.
--
-- Tie rule (rank based, so equal values always get equal scores, whatever the row order):
--   score = 1 + floor(buckets x (rank - 1) / scored customers)
-- where rank = 1 + the number of customers with a strictly worse value (SQL rank(), worst first):
-- a longer recency, fewer orders, less net revenue. buckets = 5 for R/F/M, 100 for the spending score.
with

customer_orders as (

    select
        customer_id,
        recency_days,
        completed_orders,
        net_revenue
    from {{ ref('int_customer_orders') }}
    where completed_orders > 0

),

ranked as (

    select
        customer_id,
        recency_days,
        completed_orders,
        net_revenue,
        rank() over (order by recency_days desc) as recency_rank,
        rank() over (order by completed_orders asc) as frequency_rank,
        rank() over (order by net_revenue asc) as monetary_rank,
        count(*) over () as scored_customers
    from customer_orders

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(
            1 + floor(5 * cast(recency_rank - 1 as {{ type_double() }}) / scored_customers)
            as {{ dbt.type_bigint() }}
        ) as recency_score,
        cast(
            1 + floor(5 * cast(frequency_rank - 1 as {{ type_double() }}) / scored_customers)
            as {{ dbt.type_bigint() }}
        ) as frequency_score,
        cast(
            1 + floor(5 * cast(monetary_rank - 1 as {{ type_double() }}) / scored_customers)
            as {{ dbt.type_bigint() }}
        ) as monetary_score,
        cast(
            1 + floor(100 * cast(monetary_rank - 1 as {{ type_double() }}) / scored_customers)
            as {{ dbt.type_bigint() }}
        ) as spending_score
    from ranked

)

select * from final
