-- Children-status grain: one row per With children / Without children / Unknown, also when empty,
-- with purchasing customers, revenue and their shares (the family-structure revenue split).
{{ customer_group_mart(
    ['children_status'],
    catalog=segment_catalog_rows('children_status', 'children_status'),
    catalog_columns={'sort_order': 'bigint'}
) }}
