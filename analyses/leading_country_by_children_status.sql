-- Seed 003: which country leads among customers with children, and among customers without, with
-- its share of them, its revenue and its gender split? One row per children status (with a known
-- status): the country with the most of its purchasing customers (ties: more revenue, then code).
with

customers as (

    select * from {{ ref('dim_customer_360') }}

),

by_country as (

    select
        children_status,
        country_code,
        country_name,
        count(*) as customers,
        sum(net_revenue) as net_revenue,
        sum(case when gender = 'Male' then 1 else 0 end) as male_customers,
        sum(case when gender = 'Female' then 1 else 0 end) as female_customers,
        sum(case when gender not in ('Male', 'Female') then 1 else 0 end) as other_or_unknown_customers
    from customers
    where is_purchaser and children_status != 'Unknown'
    group by children_status, country_code, country_name

),

ranked as (

    select
        *,
        sum(customers) over (partition by children_status) as status_customers,
        row_number() over (
            partition by children_status
            order by customers desc, net_revenue desc, country_code asc
        ) as country_rank
    from by_country

),

final as (

    select
        children_status,
        country_code,
        country_name,
        customers,
        cast(customers as {{ type_double() }}) / status_customers as share_of_status_customers,
        net_revenue,
        cast(male_customers as {{ type_double() }}) / customers as male_share,
        cast(female_customers as {{ type_double() }}) / customers as female_share,
        cast(other_or_unknown_customers as {{ type_double() }}) / customers as other_or_unknown_share
    from ranked
    where country_rank = 1

)

select * from final
order by children_status
