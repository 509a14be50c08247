-- Seed 004: which high-value customers are at high churn risk (the customer-level action table, and
-- the population of the alerts in customer_intelligence/alerts.py)? High value = top quintile of
-- historical net revenue (monetary_score 5) or of predicted 12-month value (the same rank-based
-- quintile rule); high risk = churn_risk_tier 'high'. One row per such customer, most revenue at
-- risk first.
-- The population rule lives in one macro (macros/marts/alert_population.sql), also read by ml_alert_history.
{{ high_value_high_risk_customers() }}
order by revenue_at_risk desc, customer_id asc
