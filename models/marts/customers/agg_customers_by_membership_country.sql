-- Membership x country grain: one row per membership segment (Prime, Non-Prime, Unknown) and
-- customer country (ZZ = unknown) that has purchasing customers, with customers, revenue, AOV and
-- repeat purchase rate. Shares are within the country: customer_share of Prime is the Prime
-- penetration of that country.
{{ customer_group_mart(['membership', 'country_code', 'country_name'], within='country_code') }}
