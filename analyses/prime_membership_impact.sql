-- Seed 002: what is a Prime member worth compared with a Non-Prime customer? One row per known
-- membership segment with its value per customer, AOV and repeat rate, and the ratio to Non-Prime.
with

memberships as (

    select * from {{ ref('agg_customers_by_membership') }}

),

known as (

    select * from memberships
    where membership != 'Unknown' and customers > 0

),

non_prime as (

    select
        revenue_per_customer,
        average_order_value,
        repeat_purchase_rate
    from known
    where membership = 'Non-Prime'

),

final as (

    select
        known.membership,
        known.customers,
        known.customer_share,
        known.revenue_share,
        known.revenue_per_customer,
        known.average_order_value,
        known.repeat_purchase_rate,
        known.revenue_per_customer / nullif(non_prime.revenue_per_customer, 0) as revenue_per_customer_vs_non_prime,
        known.average_order_value / nullif(non_prime.average_order_value, 0) as average_order_value_vs_non_prime
    from known
    cross join non_prime

)

select * from final
order by membership desc
