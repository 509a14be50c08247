-- Seed 003: what share of revenue comes from customers with children, and from customers without?
-- One row per children status with purchasing customers.
{{ customer_group_analysis(
    'agg_customers_by_children_status', 'children_status',
    extra=['average_order_value', 'revenue_share - customer_share as revenue_minus_customer_share']
) }}
