-- Country x gender grain: one row per customer country (ZZ = unknown) and gender that has
-- purchasing customers, with customers and revenue. Shares are within the country (the gender
-- split of each country's customers and revenue).
{{ customer_group_mart(['country_code', 'country_name', 'gender'], within='country_code') }}
