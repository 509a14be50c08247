-- Seed 002: is the repeat purchase rate above its target (the gauge)? One row.
with

kpis as (

    select as_of_date, total_customers, repeat_customers, repeat_purchase_rate, repeat_rate_target
    from {{ ref('kpi_overview') }}

),

final as (

    select
        as_of_date,
        total_customers,
        repeat_customers,
        repeat_purchase_rate,
        repeat_rate_target,
        repeat_purchase_rate - repeat_rate_target as gap_to_target,
        repeat_purchase_rate >= repeat_rate_target as is_on_target
    from kpis

)

select * from final
