-- Membership grain: one row per membership segment (Prime, Non-Prime, Unknown), also when empty:
-- purchasing customers and revenue, with their shares (the Prime vs non-Prime pie).
{{ customer_group_mart(
    ['membership'],
    catalog=segment_catalog_rows('membership', 'membership'),
    catalog_columns={'sort_order': 'bigint'}
) }}
