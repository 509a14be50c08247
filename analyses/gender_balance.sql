-- Seed 000: is the customer base evenly spread across genders, or does one gender dominate
-- spending? One row per gender with customers, with the gap between its revenue and customer share.
with

genders as (

    select * from {{ ref('agg_customers_by_gender') }}

),

final as (

    select
        gender,
        sort_order,
        customers,
        customer_share,
        net_revenue,
        revenue_share,
        revenue_per_customer,
        revenue_share - customer_share as revenue_minus_customer_share
    from genders
    where customers > 0

)

select * from final
order by sort_order
