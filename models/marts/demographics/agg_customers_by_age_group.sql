-- Age-group grain: one row per age group at the as-of date (under 18, 18-30, 31-40, 41-50, 51-60,
-- 61-70, 71+, unknown), also when empty, with purchasing customers, revenue and their shares.
{{ customer_group_mart(
    ['age_group'],
    catalog=segment_catalog_rows('age_group', 'age_group'),
    catalog_columns={'sort_order': 'bigint'}
) }}
