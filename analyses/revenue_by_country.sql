-- Seeds 002 and 003: how do customers, revenue and loyalty vary across countries (geographical
-- imbalances)? One row per customer country, ranked by net revenue.
with

membership_country as (

    select
        country_code, country_name, customers, completed_orders, net_revenue, repeat_customers
    from {{ ref('agg_customers_by_membership_country') }}

),

by_country as (

    select
        country_code,
        country_name,
        sum(customers) as customers,
        sum(completed_orders) as completed_orders,
        sum(net_revenue) as net_revenue,
        sum(repeat_customers) as repeat_customers
    from membership_country
    group by country_code, country_name

),

final as (

    select
        country_code,
        country_name,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(customers as {{ type_double() }}) / sum(customers) over () as customer_share,
        net_revenue,
        net_revenue / nullif(sum(net_revenue) over (), 0) as revenue_share,
        net_revenue / nullif(completed_orders, 0) as average_order_value,
        net_revenue / nullif(customers, 0) as revenue_per_customer,
        cast(repeat_customers as {{ type_double() }}) / nullif(customers, 0) as repeat_purchase_rate,
        rank() over (order by net_revenue desc, country_code asc) as revenue_rank
    from by_country

)

select * from final
order by revenue_rank
