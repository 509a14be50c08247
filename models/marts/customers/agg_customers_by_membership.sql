-- Membership grain: one row per membership segment (Prime, Non-Prime, Unknown), also when empty:
-- purchasing customers and revenue, with their shares (the Prime vs non-Prime pie).
with

customers as (

    select membership, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

memberships as (

    select segment as membership, sort_order
    from {{ ref('segment_catalog') }}
    where segment_type = 'membership'

),

aggregated as (

    select
        membership,
        {{ customer_group_aggregates() }}
    from customers
    group by membership

),

final as (

    select
        cast(coalesce(memberships.membership, aggregated.membership) as {{ dbt.type_string() }}) as membership,
        cast(coalesce(memberships.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        {{ customer_group_measures('aggregated') }}
    from memberships
    full outer join aggregated
        on memberships.membership = aggregated.membership

)

select * from final
