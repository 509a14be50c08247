-- Income x spending-score quadrant grain: one row per quadrant (VIPs, Underperformers, Potential
-- Growers, At Risk, and Unknown Income for customers without a known income), also when empty,
-- with the strategic action of each quadrant and the thresholds used.
with

customers as (

    select spending_quadrant, annual_income, spending_score, completed_orders, net_revenue
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

quadrants as (

    select segment as spending_quadrant, sort_order, description, recommended_action
    from {{ ref('segment_catalog') }}
    where segment_type = 'spending_quadrant'

),

thresholds as (

    select * from {{ ref('int_spending_quadrant_thresholds') }}

),

aggregated as (

    select
        spending_quadrant,
        {{ customer_group_aggregates() }},
        avg(annual_income) as average_annual_income,
        avg(spending_score) as average_spending_score
    from customers
    group by spending_quadrant

),

final as (

    select
        cast(coalesce(quadrants.spending_quadrant, aggregated.spending_quadrant) as {{ dbt.type_string() }})
            as spending_quadrant,
        cast(coalesce(quadrants.sort_order, 99) as {{ dbt.type_bigint() }}) as sort_order,
        cast(quadrants.description as {{ dbt.type_string() }}) as description,
        cast(quadrants.recommended_action as {{ dbt.type_string() }}) as recommended_action,
        {{ customer_group_measures('aggregated') }},
        cast(aggregated.average_annual_income as {{ type_double() }}) as average_annual_income,
        cast(aggregated.average_spending_score as {{ type_double() }}) as average_spending_score,
        cast(thresholds.income_threshold as {{ type_double() }}) as income_threshold,
        cast(thresholds.spending_score_threshold as {{ type_double() }}) as spending_score_threshold,
        cast(thresholds.income_threshold_source as {{ dbt.type_string() }}) as income_threshold_source,
        cast(thresholds.spending_score_threshold_source as {{ dbt.type_string() }}) as spending_score_threshold_source
    from quadrants
    full outer join aggregated
        on quadrants.spending_quadrant = aggregated.spending_quadrant
    cross join thresholds

)

select * from final
