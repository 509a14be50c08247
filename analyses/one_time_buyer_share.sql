-- Seed 002: what share of customers bought only once, and how strong is repeat purchasing? One row
-- per order-frequency band with its share of customers and revenue.
{{ customer_group_analysis(
    'agg_customers_by_frequency_band', 'frequency_band',
    extra=['min_orders = 1 and max_orders = 1 as is_one_time'], purchasing_only=false
) }}
