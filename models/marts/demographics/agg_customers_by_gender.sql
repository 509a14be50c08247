-- Gender grain: one row per gender (Male, Female, Other, Unknown), also when empty, with
-- purchasing customers, revenue and their shares.
{{ customer_group_mart(
    ['gender'],
    catalog=segment_catalog_rows('gender', 'gender'),
    catalog_columns={'sort_order': 'bigint'}
) }}
