-- RFM-segment grain: one row per named RFM segment (Champions ... Hibernating), also when empty,
-- with purchasing customers, shares, revenue and the segment's average recency, frequency and scores.
{{ customer_group_mart(
    ['rfm_segment'],
    catalog=segment_catalog_rows('rfm_segment', 'rfm_segment', {'description': 'description'}),
    catalog_columns={'sort_order': 'bigint', 'description': 'string'},
    averages=['recency_days', 'recency_score', 'frequency_score', 'monetary_score']
) }}
