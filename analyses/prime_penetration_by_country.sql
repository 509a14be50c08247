-- Seed 002: how does Prime penetration vary across countries? One row per country: Prime share of
-- its purchasing customers (with a known membership) and of its revenue, lowest penetration first
-- (the largest headroom).
with

membership_country as (

    select * from {{ ref('agg_customers_by_membership_country') }}

),

by_country as (

    select
        country_code,
        country_name,
        sum(customers) as customers,
        sum(case when membership = 'Prime' then customers else 0 end) as prime_customers,
        sum(case when membership != 'Unknown' then customers else 0 end) as customers_with_known_membership,
        sum(net_revenue) as net_revenue,
        sum(case when membership = 'Prime' then net_revenue else 0 end) as prime_net_revenue
    from membership_country
    group by country_code, country_name

),

penetration as (

    select
        *,
        cast(prime_customers as {{ type_double() }}) / nullif(customers_with_known_membership, 0) as prime_penetration
    from by_country

),

final as (

    select
        country_code,
        country_name,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(prime_customers as {{ dbt.type_bigint() }}) as prime_customers,
        prime_penetration,
        prime_net_revenue / nullif(net_revenue, 0) as prime_revenue_share,
        rank() over (order by prime_penetration, country_code) as headroom_rank
    from penetration

)

select * from final
order by headroom_rank
