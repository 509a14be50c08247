-- One row: the income and spending-score thresholds that split purchasing customers into the four
-- income x spending-score quadrants. Each is its var when set, else the median (percentile_cont 0.5)
-- over purchasing customers with a known value.
with

scores as (

    select customer_id, spending_score from {{ ref('int_customer_scores') }}

),

customers as (

    select customer_id, annual_income from {{ ref('dim_customers') }}

),

medians as (

    select
        percentile_cont(0.5) within group (order by customers.annual_income) as median_income,
        percentile_cont(0.5) within group (order by scores.spending_score) as median_spending_score
    from scores
    left join customers
        on scores.customer_id = customers.customer_id

),

final as (

    select
        cast({{ number_var_or('quadrant_income_threshold', 'median_income') }} as {{ type_double() }})
            as income_threshold,
        cast({{ number_var_or('quadrant_spending_score_threshold', 'median_spending_score') }} as {{ type_double() }})
            as spending_score_threshold,
        cast(
            {{ "'var'" if var('quadrant_income_threshold') | string | trim else "'median'" }} as {{ dbt.type_string() }}
        ) as income_threshold_source,
        cast(
            {{ "'var'" if var('quadrant_spending_score_threshold') | string | trim else "'median'" }}
            as {{ dbt.type_string() }}
        ) as spending_score_threshold_source
    from medians

)

select * from final
