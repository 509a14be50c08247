-- Income x spending-score quadrant grain: one row per quadrant (VIPs, Underperformers, Potential
-- Growers, At Risk, and Unknown Income for customers without a known income), also when empty,
-- with the strategic action of each quadrant and the thresholds used.
{{ customer_group_mart(
    ['spending_quadrant'],
    catalog=segment_catalog_rows(
        'spending_quadrant', 'spending_quadrant',
        {'description': 'description', 'recommended_action': 'recommended_action'}
    ),
    catalog_columns={'sort_order': 'bigint', 'description': 'string', 'recommended_action': 'string'},
    averages=['annual_income', 'spending_score'],
    extra="select * from " ~ ref('int_spending_quadrant_thresholds'),
    extra_columns={
        'income_threshold': 'double',
        'spending_score_threshold': 'double',
        'income_threshold_source': 'string',
        'spending_score_threshold_source': 'string'
    }
) }}
