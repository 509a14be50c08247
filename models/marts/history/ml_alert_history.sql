{{
    config(
        materialized=segment_history_materialization(),
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        full_refresh=false,
        on_schema_change='fail',
        enabled=(target.type != 'spark' or (target.cluster or target.endpoint) is not none)
    )
}}
-- Customer x as-of date grain: the customers alerted on at each as-of date a build ran for (high
-- value and high churn risk, macro high_value_high_risk_customers, the population of
-- customer_intelligence/alerts.py). is_new_alert marks the customers not in the set at the
-- previous recorded date: the alert fires once, when a customer crosses into the set.
-- Incremental with full_refresh false: alerts that fired stay recorded (not backfilled: they are a
-- record of what was sent, not a reconstruction).
with

flagged as (

    {{ high_value_high_risk_customers() | indent(4) }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

{% if is_incremental() -%}
previous_date as (

    select max(as_of_date) as as_of_date
    from {{ this }}
    where as_of_date < (select as_of.as_of_date from as_of)

),

previously_flagged as (

    select loaded.customer_id
    from {{ this }} as loaded
    inner join previous_date
        on loaded.as_of_date = previous_date.as_of_date

),

{% endif -%}
final as (

    select
        cast(as_of.as_of_date as date) as as_of_date,
        cast(flagged.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(flagged.segment as {{ dbt.type_string() }}) as segment,
        cast(case
            when flagged.monetary_score = 5 and flagged.predicted_value_score = 5 then 'revenue and predicted value'
            when flagged.monetary_score = 5 then 'revenue'
            else 'predicted value'
        end as {{ dbt.type_string() }}) as high_value_basis,
        cast(flagged.churn_probability as {{ type_double() }}) as churn_probability,
        cast(flagged.net_revenue as {{ type_double() }}) as net_revenue,
        cast(flagged.predicted_clv_12m as {{ type_double() }}) as predicted_clv_12m,
        {% if is_incremental() -%}
        flagged.customer_id not in (select previously_flagged.customer_id from previously_flagged) as is_new_alert
        {%- else -%}
        true as is_new_alert
        {%- endif %}
    from flagged
    cross join as_of

)

select * from final
