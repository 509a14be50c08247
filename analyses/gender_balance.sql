-- Seed 000: is the customer base evenly spread across genders, or does one gender dominate
-- spending? One row per gender with customers, with the gap between its revenue and customer share.
{{ customer_group_analysis(
    'agg_customers_by_gender', 'gender',
    extra=['revenue_share - customer_share as revenue_minus_customer_share']
) }}
