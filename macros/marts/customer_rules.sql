{#- The customer rules, each defined once. Their parameters live in vars (dbt_project.yml) or seeds;
    every mart, the semantic layer (through dim_customer_360's columns) and the Python readers (through
    the marts' rule columns: kpi_overview.repeat_customer_min_orders, agg_customers_by_frequency_band's
    min_orders / max_orders) take them from here. -#}

{#- Repeat customer: at least var repeat_customer_min_orders (default 2) completed orders. -#}
{% macro is_repeat_customer(orders) -%}
    ({{ orders }} >= {{ repeat_customer_min_orders() }})
{%- endmacro %}

{% macro repeat_customer_min_orders() -%}
    {{ integer_var('repeat_customer_min_orders', 2) }}
{%- endmacro %}

{#- Order-frequency band: the row of seed frequency_bands (alias `bands`) whose [min_orders, max_orders]
    holds `orders` (max_orders empty = no upper bound). A join condition. -#}
{% macro frequency_band_matches(orders, bands) -%}
    {{ orders }} >= {{ bands }}.min_orders
    and ({{ bands }}.max_orders is null or {{ orders }} <= {{ bands }}.max_orders)
{%- endmacro %}

{#- Loyalty tier: VIP = at least loyalty_vip_min_orders completed orders and a spending score of at least
    loyalty_vip_min_spending_score; Loyal = at least loyalty_loyal_min_orders; Periodic = a repeat customer;
    One-time = the rest. Non-purchasers are labelled by the caller. -#}
{% macro loyalty_tier(orders, spending_score) -%}
    case
        when
            {{ orders }} >= {{ integer_var('loyalty_vip_min_orders', 1) }}
            and {{ spending_score }} >= {{ integer_var('loyalty_vip_min_spending_score', 1, 100) }}
            then 'VIP'
        when {{ orders }} >= {{ integer_var('loyalty_loyal_min_orders', 2) }} then 'Loyal'
        when {{ is_repeat_customer(orders) }} then 'Periodic'
        else 'One-time'
    end
{%- endmacro %}

{#- Income x spending-score quadrant ("high" = at or above the threshold of int_spending_quadrant_thresholds). -#}
{% macro spending_quadrant(income, spending_score, income_threshold, spending_score_threshold) -%}
    case
        when {{ income }} is null then 'Unknown Income'
        when {{ income }} >= {{ income_threshold }} and {{ spending_score }} >= {{ spending_score_threshold }} then 'VIPs'
        when {{ income }} >= {{ income_threshold }} then 'Underperformers'
        when {{ spending_score }} >= {{ spending_score_threshold }} then 'Potential Growers'
        else 'At Risk'
    end
{%- endmacro %}

{#- Activity status under the inactivity rule (vars at_risk_inactivity_days, churn_inactivity_days). -#}
{% macro customer_status(recency_days) -%}
    case
        when {{ recency_days }} <= {{ inactivity_days('at_risk') }} then 'Active'
        when {{ recency_days }} <= {{ inactivity_days('churn') }} then 'At Risk'
        else 'Churned'
    end
{%- endmacro %}
