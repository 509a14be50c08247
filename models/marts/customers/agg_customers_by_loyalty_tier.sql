-- Loyalty-tier grain: one row per tier (VIP, Loyal, Periodic, One-time), also when empty, with
-- purchasing customers, shares, revenue and the rule of the tier.
{{ customer_group_mart(
    ['loyalty_tier'],
    catalog=segment_catalog_rows('loyalty_tier', 'loyalty_tier', {'tier_rule': 'description'}),
    catalog_columns={'sort_order': 'bigint', 'tier_rule': 'string'}
) }}
