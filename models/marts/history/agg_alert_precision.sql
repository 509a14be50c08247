{{ config(enabled=(target.type != 'spark' or (target.cluster or target.endpoint) is not none)) }}
-- Behavioural segment x high-value basis grain, with an 'All' row for each: how right past alerts
-- were. precision = alerts right (no completed order within the churn horizon) / alerts judged
-- (horizon ended by the as-of date); null while no alert of the group is judged.
with

outcomes as (

    select * from {{ ref('ml_alert_outcomes') }}

),

groups as (

    select segment, high_value_basis, is_judged, is_correct from outcomes
    union all
    select 'All' as segment, high_value_basis, is_judged, is_correct from outcomes
    union all
    select segment, 'All' as high_value_basis, is_judged, is_correct from outcomes
    union all
    select 'All' as segment, 'All' as high_value_basis, is_judged, is_correct from outcomes

),

counted as (

    select
        segment,
        high_value_basis,
        count(*) as alerts,
        sum(case when is_judged then 1 else 0 end) as judged_alerts,
        sum(case when is_correct then 1 else 0 end) as correct_alerts
    from groups
    group by segment, high_value_basis

),

final as (

    select
        {{ typed_columns(['segment', 'high_value_basis', 'alerts', 'judged_alerts', 'correct_alerts']) }},
        cast(case when judged_alerts > 0 then 1.0 * correct_alerts / judged_alerts end as {{ type_double() }})
            as alert_precision
    from counted

)

select * from final
