-- Recency-score x frequency-score grain: the 25 cells of the RFM grid (R 1-5 x F 1-5), also when
-- empty, with the segment each cell maps to and its purchasing customers and revenue.
{{ customer_group_mart(
    ['recency_score', 'frequency_score'],
    catalog="select r_score as recency_score, f_score as frequency_score, rfm_segment from " ~ ref('rfm_segments'),
    catalog_columns={'rfm_segment': 'string'},
    dimension_type='bigint'
) }}
