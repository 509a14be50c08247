-- Month x membership x country x segment type x segment grain: completed orders dated before the
-- as-of date, their net revenue and the distinct customers who placed them, per calendar month and
-- segment of int_customer_segments (overall, membership, RFM segment, loyalty tier, spending
-- quadrant; segments as of the as-of date). A customer has one membership, country and segment per
-- type, so customers add up across memberships, countries and segments of a month, but not across
-- months: the dashboard reads month rows (trend, orders by segment), never sums customers over them.
{%- set columns = [
    'month_start',
    'segment_type',
    'segment',
    'membership',
    'country_code',
    'customers',
    'completed_orders',
    'net_revenue'
] %}
with

orders as (

    select customer_id, order_date, net_revenue
    from {{ ref('fct_orders') }}
    where is_completed and order_date < {{ as_of_date() }}

),

customer_months as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        count(*) as completed_orders,
        sum(net_revenue) as net_revenue
    from orders
    group by customer_id, cast({{ dbt.date_trunc('month', 'order_date') }} as date)

),

customers as (

    select customer_id, membership, country_code from {{ ref('dim_customer_360') }}
    where is_purchaser

),

segments as (

    select customer_id, segment_type, segment from {{ ref('int_customer_segments') }}

),

grouped as (

    select
        customer_months.month_start,
        customers.membership,
        customers.country_code,
        segments.segment_type,
        segments.segment,
        count(*) as customers,
        sum(customer_months.completed_orders) as completed_orders,
        sum(customer_months.net_revenue) as net_revenue
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    inner join segments
        on customer_months.customer_id = segments.customer_id
    group by
        customer_months.month_start,
        customers.membership,
        customers.country_code,
        segments.segment_type,
        segments.segment

),

final as (

    select
        {{ typed_columns(columns) }}
    from grouped

)

select * from final
