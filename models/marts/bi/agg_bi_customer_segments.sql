-- Membership x country x segment type x segment grain: the purchasing customers of dim_customer_360
-- (their whole history before the as-of date) summed for every customer attribute the dashboard
-- splits by. Every measure is additive (a count or a sum), so any selection of memberships and
-- countries is answered exactly by summing rows; segment_type 'overall' has one segment per
-- membership x country. This is the dashboard's full-date-range answer (dashboard/query_builder.py):
-- a date range other than the whole history needs each customer's period orders (order grain).
{%- set columns = [
    'membership',
    'country_code',
    'segment_type',
    'segment',
    'customers',
    'completed_orders',
    'net_revenue',
    'repeat_customers',
    'at_risk_customers',
    'active_customers',
    'annual_income_sum',
    'annual_income_count',
    'spending_score_sum',
    'spending_score_count',
    'recency_days_sum',
    'recency_days_count',
    'recency_score_sum',
    'frequency_score_sum',
    'monetary_score_sum'
] %}
with

customers as (

    select * from {{ ref('dim_customer_360') }}
    where is_purchaser

),

unpivoted as (

    {%- for segment_type in ['overall', 'membership', 'country_code', 'rfm_segment', 'loyalty_tier',
                             'spending_quadrant', 'frequency_band', 'gender', 'age_group', 'children_status',
                             'preferred_category', 'customer_status'] %}
    {{ 'union all' if not loop.first }}
    select
        customers.*,
        '{{ segment_type }}' as segment_type,
        {{ "'All customers'" if segment_type == 'overall' else 'cast(customers.' ~ segment_type ~ ' as ' ~ dbt.type_string() ~ ')' }}
            as segment
    from customers
    {%- endfor %}

),

grouped as (

    select
        membership,
        country_code,
        segment_type,
        segment,
        count(*) as customers,
        sum(completed_orders) as completed_orders,
        sum(net_revenue) as net_revenue,
        sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers,
        sum(case when customer_status = 'At Risk' then 1 else 0 end) as at_risk_customers,
        sum(case when is_active_in_window then 1 else 0 end) as active_customers,
        sum(annual_income) as annual_income_sum,
        count(annual_income) as annual_income_count,
        sum(spending_score) as spending_score_sum,
        count(spending_score) as spending_score_count,
        sum(recency_days) as recency_days_sum,
        count(recency_days) as recency_days_count,
        sum(recency_score) as recency_score_sum,
        sum(frequency_score) as frequency_score_sum,
        sum(monetary_score) as monetary_score_sum
    from unpivoted
    group by membership, country_code, segment_type, segment

),

final as (

    select
        {{ typed_columns(columns) }}
    from grouped

)

select * from final
