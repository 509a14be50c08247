{{
    config(
        materialized=segment_history_materialization(),
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        full_refresh=false,
        on_schema_change='fail'
    )
}}
-- Customer x as-of date grain: each purchasing customer's RFM segment, loyalty tier, status and
-- spending quadrant at every as-of date a build (or the backfill command) ran for.
-- Incremental and never rebuilt (full_refresh: false, so it survives --full-refresh): a run replaces
-- the rows of its own as-of date (delete+insert on as_of_date) and keeps every other date.
with

customers as (

    select
        as_of_date,
        customer_id,
        rfm_segment,
        loyalty_tier,
        customer_status,
        spending_quadrant,
        completed_orders,
        net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

final as (

    select
        {{ typed_columns([
            'as_of_date', 'customer_id', 'rfm_segment', 'loyalty_tier', 'customer_status', 'spending_quadrant',
            'completed_orders', 'net_revenue'
        ]) }}
    from customers

)

select * from final
