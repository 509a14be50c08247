-- Preferred-category grain: one row per product category that is the preferred category (top
-- category by net revenue) of at least one purchasing customer, with customers, revenue and shares.
{{ customer_group_mart(['preferred_category']) }}
