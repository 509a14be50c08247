-- Customer grain: one row per customer known at the as-of date (an order before it, or a
-- customers-file row signed up before it), with profile, order metrics, R/F/M scores and segment,
-- spending score and quadrant, loyalty tier, activity status and preferred category.
-- Customers with no completed order before the as-of date are kept, with 'No Purchase' labels.
with

customers as (

    select
        customer_id,
        gender,
        age_years,
        age_group,
        country_code,
        country_name,
        region,
        annual_income,
        num_children,
        children_status,
        membership,
        is_prime,
        signup_date,
        is_in_customer_file
    from {{ ref('dim_customers') }}

),

customer_orders as (

    select * from {{ ref('int_customer_orders') }}

),

-- whether the orders carry amounts: without any (row rule R8) money stays null, also for customers
-- without an order; with amounts, a customer without an order has 0 revenue
amounts as (

    select count(net_revenue) > 0 as has_amounts from customer_orders

),

scores as (

    select * from {{ ref('int_customer_scores') }}

),

thresholds as (

    select income_threshold, spending_score_threshold from {{ ref('int_spending_quadrant_thresholds') }}

),

preferred_categories as (

    select customer_id, preferred_category from {{ ref('int_customer_preferred_category') }}

),

rfm_segments as (

    select r_score, f_score, rfm_segment from {{ ref('rfm_segments') }}

),

frequency_bands as (

    select frequency_band, min_orders, max_orders from {{ ref('frequency_bands') }}

),

known_customers as (

    select
        customers.*,
        coalesce(customer_orders.orders_placed, 0) as orders_placed,
        coalesce(customer_orders.completed_orders, 0) as completed_orders,
        coalesce(customer_orders.gross_revenue, case when amounts.has_amounts then 0 end) as gross_revenue,
        coalesce(customer_orders.returns, case when amounts.has_amounts then 0 end) as returns,
        coalesce(customer_orders.net_revenue, case when amounts.has_amounts then 0 end) as net_revenue,
        coalesce(customer_orders.active_months, 0) as active_months,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.recency_days,
        customer_orders.tenure_days
    from customers
    cross join amounts
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    where
        customer_orders.customer_id is not null
        or (customers.is_in_customer_file and coalesce(customers.signup_date < {{ as_of_date() }}, true))

),

joined as (

    select
        known_customers.*,
        known_customers.completed_orders > 0 as is_purchaser,
        scores.recency_score,
        scores.frequency_score,
        scores.monetary_score,
        scores.spending_score,
        rfm_segments.rfm_segment,
        preferred_categories.preferred_category,
        frequency_bands.frequency_band as matched_frequency_band,
        thresholds.income_threshold,
        thresholds.spending_score_threshold
    from known_customers
    left join scores
        on known_customers.customer_id = scores.customer_id
    left join rfm_segments
        on
            scores.recency_score = rfm_segments.r_score
            and scores.frequency_score = rfm_segments.f_score
    left join preferred_categories
        on known_customers.customer_id = preferred_categories.customer_id
    left join frequency_bands
        on {{ frequency_band_matches('known_customers.completed_orders', 'frequency_bands') }}
    cross join thresholds

),

labelled as (

    select
        *,
        case when is_purchaser then matched_frequency_band else 'No Purchase' end as frequency_band,
        case
            when not is_purchaser then 'No Purchase'
            else {{ spending_quadrant('annual_income', 'spending_score', 'income_threshold', 'spending_score_threshold') }}
        end as spending_quadrant,
        case
            when not is_purchaser then 'No Purchase'
            else {{ loyalty_tier('completed_orders', 'spending_score') }}
        end as loyalty_tier,
        case
            when not is_purchaser then 'No Purchase'
            else {{ customer_status('recency_days') }}
        end as customer_status
    from joined

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ as_of_date() }} as date) as as_of_date,
        {{ typed_columns(['gender', 'age_years', 'age_group', 'country_code', 'country_name', 'region', 'annual_income', 'num_children']) }},
        case when num_children is not null then num_children > 0 end as has_children,
        cast(children_status as {{ dbt.type_string() }}) as children_status,
        cast(membership as {{ dbt.type_string() }}) as membership,
        is_prime,
        cast(signup_date as date) as signup_date,
        is_purchaser,
        cast(orders_placed as {{ dbt.type_bigint() }}) as orders_placed,
        cast(completed_orders as {{ dbt.type_bigint() }}) as completed_orders,
        cast(gross_revenue as {{ type_double() }}) as gross_revenue,
        cast(returns as {{ type_double() }}) as returns,
        cast(net_revenue as {{ type_double() }}) as net_revenue,
        cast(net_revenue / nullif(completed_orders, 0) as {{ type_double() }}) as average_order_value,
        cast(active_months as {{ dbt.type_bigint() }}) as active_months,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast(tenure_days as {{ dbt.type_bigint() }}) as tenure_days,
        cast(recency_days as {{ dbt.type_bigint() }}) as recency_days,
        cast(frequency_band as {{ dbt.type_string() }}) as frequency_band,
        {{ is_repeat_customer('completed_orders') }} as is_repeat_customer,
        cast(recency_score as {{ dbt.type_bigint() }}) as recency_score,
        cast(frequency_score as {{ dbt.type_bigint() }}) as frequency_score,
        cast(monetary_score as {{ dbt.type_bigint() }}) as monetary_score,
        cast(
            cast(recency_score as {{ dbt.type_string() }})
            || cast(frequency_score as {{ dbt.type_string() }})
            || cast(monetary_score as {{ dbt.type_string() }})
            as {{ dbt.type_string() }}
        ) as rfm_code,
        cast(coalesce(rfm_segment, 'No Purchase') as {{ dbt.type_string() }}) as rfm_segment,
        cast(spending_score as {{ dbt.type_bigint() }}) as spending_score,
        cast(spending_quadrant as {{ dbt.type_string() }}) as spending_quadrant,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(customer_status as {{ dbt.type_string() }}) as customer_status,
        coalesce(recency_days <= {{ integer_var('active_window_days', 1) }}, false) as is_active_in_window,
        cast(
            case when is_purchaser then coalesce(preferred_category, 'Unknown') end as {{ dbt.type_string() }}
        ) as preferred_category
    from labelled

)

select * from final
