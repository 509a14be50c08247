-- Order-frequency band grain: one row per band (1, 2-3, 4-5, 6+ completed orders), also when empty,
-- with purchasing customers, shares and revenue.
{{ customer_group_mart(
    ['frequency_band'],
    catalog="select frequency_band, sort_order, min_orders, max_orders from " ~ ref('frequency_bands'),
    catalog_columns={'sort_order': 'bigint', 'min_orders': 'bigint', 'max_orders': 'bigint'}
) }}
